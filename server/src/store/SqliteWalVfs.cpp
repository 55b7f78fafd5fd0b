#include "store/SqliteWalVfs.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace parley::server::sqlite {

namespace {

// Big enough for the WAL's own header (32 bytes) followed by a frame's header (24).
constexpr int kHeldMax = 64;

struct WalFile {
    sqlite3_file base; // base.pMethods = &kWalMethods
    sqlite3_file* inner;
    sqlite3_int64 writeEnd; // where the last write through this file ended; -1: none yet
    sqlite3_int64 heldOffset;
    int heldSize;
    unsigned char held[kHeldMax];
    unsigned char* scratch; // the held bytes and the write that continues them, for one call
    int scratchSize;
};

// The default VFS's file object follows ours in the allocation SQLite makes for each file.
constexpr std::size_t kInnerOffset = (sizeof(WalFile) + 15) & ~std::size_t{15};

WalFile* asWal(sqlite3_file* f) {
    return reinterpret_cast<WalFile*>(f);
}

int writeHeld(WalFile* w) {
    if (w->heldSize == 0)
        return SQLITE_OK;
    const int size = w->heldSize;
    w->heldSize = 0;
    return w->inner->pMethods->xWrite(w->inner, w->held, size, w->heldOffset);
}

// The default VFS's method on its file.
template <typename Method, typename... Args>
int forwarded(sqlite3_file* f, Method method, Args... args) {
    auto* w = asWal(f);
    return (w->inner->pMethods->*method)(w->inner, args...);
}

// The held bytes first, then the default VFS's method (every method that may see or change what
// was written).
template <typename Method, typename... Args>
int afterHeld(sqlite3_file* f, Method method, Args... args) {
    if (const int rc = writeHeld(asWal(f)); rc != SQLITE_OK)
        return rc;
    return forwarded(f, method, args...);
}

int walClose(sqlite3_file* f) {
    auto* w = asWal(f);
    const int heldRc = writeHeld(w);
    const int rc = w->inner->pMethods ? w->inner->pMethods->xClose(w->inner) : SQLITE_OK;
    sqlite3_free(w->scratch);
    w->scratch = nullptr;
    return heldRc != SQLITE_OK ? heldRc : rc;
}

int walWrite(sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
    auto* w = asWal(f);
    const bool continues = offset == w->writeEnd;
    w->writeEnd = offset + size;
    if (w->heldSize > 0) {
        if (continues && w->heldSize + size <= kHeldMax) {
            std::memcpy(w->held + w->heldSize, data, static_cast<std::size_t>(size));
            w->heldSize += size;
            return SQLITE_OK;
        }
        const int total = w->heldSize + size;
        if (continues && total > w->scratchSize) {
            auto* grown = static_cast<unsigned char*>(sqlite3_realloc(w->scratch, total));
            if (grown) {
                w->scratch = grown;
                w->scratchSize = total;
            }
        }
        if (continues && total <= w->scratchSize) {
            std::memcpy(w->scratch, w->held, static_cast<std::size_t>(w->heldSize));
            std::memcpy(w->scratch + w->heldSize, data, static_cast<std::size_t>(size));
            const auto at = w->heldOffset;
            w->heldSize = 0;
            return w->inner->pMethods->xWrite(w->inner, w->scratch, total, at);
        }
        if (const int rc = writeHeld(w); rc != SQLITE_OK)
            return rc;
    }
    // A frame's header continues the previous frame's page; the WAL's header starts the file.
    if (size <= kHeldMax && (continues || offset == 0)) {
        std::memcpy(w->held, data, static_cast<std::size_t>(size));
        w->heldSize = size;
        w->heldOffset = offset;
        return SQLITE_OK;
    }
    return w->inner->pMethods->xWrite(w->inner, data, size, offset);
}

// Version 1: SQLite maps and locks the shared memory, and maps pages, through the database file
// only, never through its WAL. A method that may see or change what was written writes the held
// bytes first (afterHeld); the locks and the file's properties are the default VFS's as they are.
const sqlite3_io_methods kWalMethods = {
    1,
    walClose,
    [](sqlite3_file* f, void* out, int size, sqlite3_int64 offset) {
        return afterHeld(f, &sqlite3_io_methods::xRead, out, size, offset);
    },
    walWrite,
    [](sqlite3_file* f, sqlite3_int64 size) { return afterHeld(f, &sqlite3_io_methods::xTruncate, size); },
    [](sqlite3_file* f, int flags) { return afterHeld(f, &sqlite3_io_methods::xSync, flags); },
    [](sqlite3_file* f, sqlite3_int64* size) { return afterHeld(f, &sqlite3_io_methods::xFileSize, size); },
    [](sqlite3_file* f, int level) { return forwarded(f, &sqlite3_io_methods::xLock, level); },
    [](sqlite3_file* f, int level) { return forwarded(f, &sqlite3_io_methods::xUnlock, level); },
    [](sqlite3_file* f, int* out) { return forwarded(f, &sqlite3_io_methods::xCheckReservedLock, out); },
    [](sqlite3_file* f, int op, void* arg) {
        return afterHeld(f, &sqlite3_io_methods::xFileControl, op, arg);
    },
    [](sqlite3_file* f) { return forwarded(f, &sqlite3_io_methods::xSectorSize); },
    [](sqlite3_file* f) { return forwarded(f, &sqlite3_io_methods::xDeviceCharacteristics); },
    nullptr, // xShmMap
    nullptr, // xShmLock
    nullptr, // xShmBarrier
    nullptr, // xShmUnmap
    nullptr, // xFetch
    nullptr, // xUnfetch
};

sqlite3_vfs* root(sqlite3_vfs* vfs) {
    return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int vfsOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* outFlags) {
    auto* base = root(vfs);
    if (!(flags & SQLITE_OPEN_WAL)) // opened in place: SQLite calls the default VFS's methods on it
        return base->xOpen(base, name, file, flags, outFlags);
    auto* w = asWal(file);
    std::memset(w, 0, sizeof *w);
    w->inner = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kInnerOffset);
    w->writeEnd = -1;
    const int rc = base->xOpen(base, name, w->inner, flags, outFlags);
    // SQLite calls xClose after a failed open only if pMethods is set, as the default VFS may do.
    w->base.pMethods = (rc == SQLITE_OK || w->inner->pMethods) ? &kWalMethods : nullptr;
    return rc;
}

int vfsDelete(sqlite3_vfs* vfs, const char* name, int syncDir) {
    return root(vfs)->xDelete(root(vfs), name, syncDir);
}
int vfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    return root(vfs)->xAccess(root(vfs), name, flags, out);
}
int vfsFullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
    return root(vfs)->xFullPathname(root(vfs), name, size, out);
}
void* vfsDlOpen(sqlite3_vfs* vfs, const char* name) {
    return root(vfs)->xDlOpen(root(vfs), name);
}
void vfsDlError(sqlite3_vfs* vfs, int size, char* out) {
    root(vfs)->xDlError(root(vfs), size, out);
}
void (*vfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
    return root(vfs)->xDlSym(root(vfs), handle, symbol);
}
void vfsDlClose(sqlite3_vfs* vfs, void* handle) {
    root(vfs)->xDlClose(root(vfs), handle);
}
int vfsRandomness(sqlite3_vfs* vfs, int size, char* out) {
    return root(vfs)->xRandomness(root(vfs), size, out);
}
int vfsSleep(sqlite3_vfs* vfs, int microseconds) {
    return root(vfs)->xSleep(root(vfs), microseconds);
}
int vfsCurrentTime(sqlite3_vfs* vfs, double* out) {
    return root(vfs)->xCurrentTime(root(vfs), out);
}
int vfsGetLastError(sqlite3_vfs* vfs, int size, char* out) {
    return root(vfs)->xGetLastError(root(vfs), size, out);
}
int vfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    return root(vfs)->xCurrentTimeInt64(root(vfs), out);
}

sqlite3_vfs g_vfs{};
std::once_flag g_registered;

WalFile* walFileOf(sqlite3* db) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK || !file ||
        file->pMethods != &kWalMethods)
        return nullptr;
    return asWal(file);
}

} // namespace

const char* walFrameVfsName() {
    std::call_once(g_registered, [] {
        sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
        g_vfs.iVersion = std::min(base->iVersion, 2);
        g_vfs.szOsFile = static_cast<int>(kInnerOffset) + base->szOsFile; // ours, then the default's
        g_vfs.mxPathname = base->mxPathname;
        g_vfs.zName = "parley-wal-frames";
        g_vfs.pAppData = base;
        g_vfs.xOpen = vfsOpen;
        g_vfs.xDelete = vfsDelete;
        g_vfs.xAccess = vfsAccess;
        g_vfs.xFullPathname = vfsFullPathname;
        g_vfs.xDlOpen = vfsDlOpen;
        g_vfs.xDlError = vfsDlError;
        g_vfs.xDlSym = vfsDlSym;
        g_vfs.xDlClose = vfsDlClose;
        g_vfs.xRandomness = vfsRandomness;
        g_vfs.xSleep = vfsSleep;
        g_vfs.xCurrentTime = vfsCurrentTime;
        g_vfs.xGetLastError = vfsGetLastError;
        if (base->iVersion >= 2 && base->xCurrentTimeInt64)
            g_vfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
        else
            g_vfs.iVersion = 1;
        sqlite3_vfs_register(&g_vfs, 0);
    });
    return g_vfs.zName;
}

int flushWalFrames(sqlite3* db) {
    auto* w = walFileOf(db);
    return w ? writeHeld(w) : SQLITE_OK;
}

std::size_t heldWalBytes(sqlite3* db) {
    auto* w = walFileOf(db);
    return w ? static_cast<std::size_t>(w->heldSize) : 0;
}

} // namespace parley::server::sqlite
