# ipmemd (filled in by the control-plane work); sets IPMEMD_PROGS
