# The realtime module's sources; included by server/CMakeLists.txt.
set(PARLEY_REALTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/AgentPresenceTracker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/RealtimeHub.cpp
  ${CMAKE_CURRENT_LIST_DIR}/RealtimeServer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/WsListener.cpp
  ${CMAKE_CURRENT_LIST_DIR}/WsSession.cpp
)
