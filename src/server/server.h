/* server.h - `wsx server` and `wsx quickstart`: open the ODB, start the workers,
 * reconcile the channels, serve the admin API on the control thread until
 * SIGINT/SIGTERM. */
#ifndef WSX_SERVER_H
#define WSX_SERVER_H

/* argv[0] is "server" or "quickstart". Returns the process exit status. */
int server_main(int argc, char **argv);

#endif
