#pragma once
// cpp-httplib's Server with one change: an idle keep-alive connection holds no thread.
//
// Debian's cpp-httplib 0.11 gives every connection a pool thread for its whole life, and that
// thread waits for the next request by polling every 10 ms and sleeping 1 ms in a loop: each
// open widget or console cost ~90 wake-ups a second, a request arriving during the sleep waited
// up to 1 ms more, and the pool had to be larger than the number of idle connections or new
// clients starved. Here the workers wait in one epoll set that holds every connection
// (edge-triggered: exactly one worker takes a connection whose next request arrived) and the
// queue of newly accepted sockets. Parsing, routing and responses stay httplib's own
// (process_request).

#include <httplib.h>

#include <cstddef>
#include <memory>

namespace parley::server {

class KeepAliveServer : public httplib::Server {
public:
    // workers: requests served at the same time; idle connections wait without one. An idle
    // connection is closed after set_keep_alive_timeout().
    explicit KeepAliveServer(std::size_t workers);
    ~KeepAliveServer() override;

    // After bind: Debian's library listens with a backlog of 5, too small for a burst of clients.
    void raiseListenBacklog(int backlog);

private:
    bool process_and_close_socket(socket_t sock) override;

    class WorkerPool;
    WorkerPool* m_pool = nullptr; // owned by httplib::Server::listen, alive while it runs
    std::size_t m_workers;
};

} // namespace parley::server
