#include "DataDir.h"

#include "util/Text.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::server {

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
    m_isNew = !fs::exists(databasePath(), ec);
}

std::string DataDir::secret() const {
    const std::string file = m_path + "/server.secret";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        const std::string secret = randomBytes(32);
        const bool ok = ::write(fd, secret.data(), secret.size()) == static_cast<ssize_t>(secret.size()) &&
                        ::fsync(fd) == 0;
        ::close(fd);
        if (!ok)
            throw std::runtime_error("cannot write " + file + ": " + std::strerror(errno));
        return secret;
    }
    if (errno != EEXIST)
        throw std::runtime_error("cannot create " + file + ": " + std::strerror(errno));
    const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        throw std::runtime_error("cannot read " + file + ": " + std::strerror(errno));
    std::string secret(64, '\0');
    const auto n = ::read(in, secret.data(), secret.size());
    ::close(in);
    if (n < 32)
        throw std::runtime_error(file + " is damaged (shorter than 32 bytes)");
    secret.resize(static_cast<std::size_t>(n));
    return secret;
}

} // namespace parley::server
