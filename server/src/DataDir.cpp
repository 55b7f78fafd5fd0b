#include "DataDir.h"

#include "util/Log.h"
#include "util/Text.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::server {

namespace {

std::runtime_error systemError(const std::string& what, int error) {
    return std::runtime_error(what + ": " + std::strerror(error));
}

bool writeAll(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

DataDir::DataDir(std::string path)
    : m_path(std::move(path)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(m_path, ec)) {
        fs::create_directories(m_path, ec);
        if (ec)
            throw std::runtime_error("cannot create data dir " + m_path + ": " + ec.message());
        ::chmod(m_path.c_str(), 0700);
    }
    if (!fs::is_directory(m_path, ec))
        throw std::runtime_error("data dir " + m_path + " is not a directory");
    lock(); // before anything in the directory is read or written
    m_isNew = !fs::exists(databasePath(), ec);
}

DataDir::~DataDir() {
    if (m_lockFd >= 0)
        ::close(m_lockFd); // releases the lock
}

// flock, not fcntl locks: it belongs to this open file, so nothing else in the process (SQLite
// opening and closing its own descriptors) can release it by accident. The holder's pid is
// written into the file for the operator; the lock is what counts, a stale file means nothing.
void DataDir::lock() {
    const auto file = lockPath();
    m_lockFd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_lockFd < 0)
        throw systemError("cannot open " + file, errno);
    if (::flock(m_lockFd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        std::string holder;
        char text[32] = {};
        if (const auto n = ::pread(m_lockFd, text, sizeof text - 1, 0); n > 0)
            holder = std::string(text, static_cast<std::size_t>(n));
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        ::close(m_lockFd);
        m_lockFd = -1;
        if (error == EWOULDBLOCK)
            throw std::runtime_error("data dir " + m_path + " is in use by another parley-server" +
                                     (holder.empty() ? std::string() : " (pid " + holder + ")") +
                                     "; two servers must not share a data dir");
        throw systemError("cannot lock " + file, error);
    }
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_lockFd, 0) != 0 || ::pwrite(m_lockFd, pid.data(), pid.size(), 0) < 0)
        log::warn("cannot write the pid into " + file +
                  " (the lock is held all the same): " + std::strerror(errno));
}

std::string DataDir::secret() const {
    const std::string file = m_path + "/server.secret";
    if (const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC); in >= 0) {
        std::string secret(64, '\0');
        const auto n = ::read(in, secret.data(), secret.size());
        ::close(in);
        if (n < 32)
            throw std::runtime_error(file + " is damaged (shorter than 32 bytes)");
        secret.resize(static_cast<std::size_t>(n));
        return secret;
    }
    if (errno != ENOENT)
        throw systemError("cannot read " + file, errno);

    // This process holds the data dir's lock: nobody else writes here. A temporary file left by
    // a crash in the middle of this is simply written over.
    const std::string temp = file + ".tmp";
    const std::string secret = randomBytes(32);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw systemError("cannot create " + temp, errno);
    const bool written = ::fchmod(fd, 0600) == 0 && writeAll(fd, secret) && ::fsync(fd) == 0;
    const int writeError = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        throw systemError("cannot write " + temp, writeError);
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        throw systemError("cannot rename " + temp + " to " + file, error);
    }
    // The rename is durable once the directory is: else a power cut could leave no secret, and
    // every token signed with this one would stop working.
    const int dir = ::open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fsync(dir) != 0) {
        const int error = errno;
        if (dir >= 0)
            ::close(dir);
        throw systemError("cannot flush data dir " + m_path, error);
    }
    ::close(dir);
    return secret;
}

} // namespace parley::server
