// Linux calls that Glibc's Swift overlay does not expose without _GNU_SOURCE.
#ifndef CSYSTEMSHIM_H
#define CSYSTEMSHIM_H

#include <spawn.h>

/// renameat2(2) with RENAME_EXCHANGE: swaps two existing paths atomically. Returns 0 or -1 (errno set).
int csys_rename_exchange(const char *a, const char *b);
/// renameat2(2) with RENAME_NOREPLACE: fails with EEXIST instead of replacing. Returns 0 or -1.
int csys_rename_noreplace(const char *from, const char *to);
/// renameat2(2) with RENAME_NOREPLACE between two directory descriptors (AT_FDCWD for paths).
int csys_renameat_noreplace(int fromfd, const char *from, int tofd, const char *to);
/// A file's size asked of the filesystem itself (statx with AT_STATX_FORCE_SYNC): NFS and FUSE mounts
/// otherwise answer from an attribute cache, missing what another client appended. -1 (errno set).
long long csys_fresh_size(const char *path);
/// The f_type of statfs(2), or -1 (errno set).
long csys_statfs_type(const char *path);
/// pipe2(2) with O_CLOEXEC on both ends. Returns 0 or -1.
int csys_pipe_cloexec(int fds[2]);
/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `low` up.
int csys_spawn_closefrom(posix_spawn_file_actions_t *actions, int low);

/// openat2(2) of `path` beneath `dirfd` with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS:
/// no component may be a symbolic link or leave the folder. Returns the descriptor or -1 (errno set; ENOSYS on a
/// kernel before 5.6).
int csys_openat2_beneath(int dirfd, const char *path, int flags);

#endif
