// Passing a file descriptor over a unix socket (SCM_RIGHTS): runc's
// console socket (terminal.hpp's send_fd) and the user namespace cache's
// holder (userns_cache.hpp) send one; the cache's clients receive one.
#pragma once
#include <cstddef>

#include "fd.hpp"

namespace rt {

// Send FD over the connected unix socket SOCK with SCM_RIGHTS, with LEN
// bytes of DATA as the message (at least one: a message with no data
// carries no fd). No SIGPIPE when the peer has gone; retried on EINTR.
// Returns 0, or the errno of sendmsg. System calls only: a vfork_child
// body or the cache's holder may call it.
int send_fd_raw(int sock, int fd, const void* data, size_t len) noexcept;

// The fd one message on SOCK carries (CLOEXEC), or an empty UniqueFd when
// the peer sent none, closed, or the socket's receive timeout passed.
UniqueFd receive_fd(int sock);

}  // namespace rt
