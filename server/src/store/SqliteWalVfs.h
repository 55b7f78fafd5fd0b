#pragma once
// A VFS over SQLite's default one that writes each WAL frame with one system call instead of two.
//
// SQLite writes a WAL frame as its 24-byte header, then its page, with a write call each (wal.c,
// walWriteOneFrame). On Linux each call is a whole trip through the file system's write path, so
// the header costs nearly what the page does, and the single writer is the one stage of a commit
// that more cores do not shorten. This VFS holds back a small write that continues the last one,
// and writes it together with the next write if that continues it too: header and page in one
// call. Anything else on the file (a read, a write elsewhere, a sync, its size, a file control,
// closing it) writes the held bytes first, so SQLite never sees the file differ from what it
// wrote. Only WAL files are wrapped; the database and its other files are SQLite's own objects.
// No library does this; the whole of it is this file and its .cpp (docs/ARCHITECTURE.md, "Store").

#include <sqlite3.h>

#include <cstddef>

namespace parley::server::sqlite {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on the first call.
const char* walFrameVfsName();

// Writes out what the connection's WAL file holds back, if anything: the store calls it after
// each commit, so that a commit never waits in memory for the next write to reach the kernel.
// SQLITE_OK, or the error of that write. A no-op on a connection of another VFS.
int flushWalFrames(sqlite3* db);

// Bytes the connection's WAL file holds back now (0 on another VFS). For tests.
std::size_t heldWalBytes(sqlite3* db);

} // namespace parley::server::sqlite
