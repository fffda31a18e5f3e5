/* signals.h -- how every long-running command (run, repartition, demo,
 * gen) stops: one helper instead of a style per command.
 *
 * The first SIGINT or SIGTERM sets the stop flag, which the command's loop
 * polls to stop cleanly (finish what is in hand, flush, commit); a second
 * one exits at once with status 130, doing nothing more.  Handlers are
 * installed with sigaction, without SA_RESTART, and are async-signal-safe
 * (an atomic exchange and _exit). */
#ifndef SW_SIGNALS_H
#define SW_SIGNALS_H

#include <stdatomic.h>
#include <stdbool.h>

#define SW_EXIT_SECOND_SIGNAL 130

/* Installs the SIGINT and SIGTERM handlers. */
void sw_signals_install(void);
/* The flag the first signal sets, for loops and threads to poll. */
atomic_int *sw_signals_stop_flag(void);
/* The first signal received (SIGINT, SIGTERM), or 0. */
int sw_signals_received(void);
/* "SIGINT" / "SIGTERM" for a signal of the two, else "a signal". */
const char *sw_signals_name(int sig);
/* A command that writes to pipes gets EPIPE instead of dying of SIGPIPE. */
void sw_signals_ignore_sigpipe(void);

#endif
