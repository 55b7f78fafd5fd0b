// TEMPORARY: stands in for the WebSocket listener until server/src/realtime/sources.cmake exists.
#include "app/ChatService.h"
#include "realtime/RealtimeServer.h"

namespace parley::server {
struct RealtimeServer::Impl {
    NullEventSink sink;
    RealtimeOptions options;
};
RealtimeServer::RealtimeServer(ChatService&, const Clock&, RealtimeOptions options)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->options = options;
}
RealtimeServer::~RealtimeServer() = default;
void RealtimeServer::start() {}
void RealtimeServer::stop() {}
bool RealtimeServer::accepting() const {
    return true;
}
std::uint16_t RealtimeServer::port() const {
    return m_impl->options.port;
}
EventSink& RealtimeServer::eventSink() {
    return m_impl->sink;
}
} // namespace parley::server
