// libinotifytools ships no pkg-config file; Debian puts the header under inotifytools/.
#ifndef CINOTIFYTOOLS_SHIM_H
#define CINOTIFYTOOLS_SHIM_H
#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#endif
