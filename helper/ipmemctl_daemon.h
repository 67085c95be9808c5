/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmemctl_daemon.h - the ipmemctl commands that go to ipmemd (over its
 * control socket, /run/ipmemd.sock or $IPMEMD_SOCKET) rather than to the
 * module: borrow, release, lend drain|resume, and the BGP part of status.
 *
 * argc/argv are the arguments after the command word.  Each function
 * prints what ipmemd answers and returns ipmemctl's exit status.
 */
#ifndef IPMEM_IPMEMCTL_DAEMON_H
#define IPMEM_IPMEMCTL_DAEMON_H

#include <stdbool.h>

/* borrow SIZE [rights ro|rw] [replicas N] */
int ipmemctl_borrow(int argc, char **argv);
/* release all|ipmemN|PREFIX */
int ipmemctl_release(int argc, char **argv);
/* lend drain (@drain) or lend resume */
int ipmemctl_lend_drain(bool drain);
/* M, V and the lenders as ipmemd sees them; 0 even if it is not running */
int ipmemctl_bgp_status(void);

/* the control socket to use instead of the default */
void ipmemctl_daemon_socket(const char *path);

#endif
