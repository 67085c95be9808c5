/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ipmem's release, shared by the module and the programs.
 *
 * The module reports it (modinfo, /sys/module/ipmem/version, the
 * VERSION_GET netlink command, its load message), and so do ipmemctl and
 * ipmemd (--version).  Hosts that talk to each other must speak the same
 * wire protocol (IPMEM_WIRE_VERSION, include/ipmem/wire.h): a lender
 * refuses a borrower of another protocol version at connect, and both
 * log the two versions.  dkms.conf and debian/changelog carry the same
 * release (tests/install/install.t compares them).
 */
#ifndef _IPMEM_VERSION_H
#define _IPMEM_VERSION_H

#define IPMEM_VERSION		"0.9.0"

#endif /* _IPMEM_VERSION_H */
