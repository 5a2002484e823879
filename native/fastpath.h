/* native/fastpath.c: the launcher's own state, kill, start and delete. */
#ifndef TSRUN_FASTPATH_H
#define TSRUN_FASTPATH_H
/* The exit code of the command carried out, or -1: start Node, as if never called. */
int fastpath(int argc, char **argv);
#endif
