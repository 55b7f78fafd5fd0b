#pragma once
// Reads command-line flags one at a time, as "--flag VALUE" or "--flag=VALUE", for
// parley-server and parley-server import. CLI11 would do this too; the two commands have a
// dozen-odd flags each, help texts written by hand in sections, and error texts their tests read,
// so a reader this small keeps them as they are.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::server::util {

class FlagReader {
public:
    explicit FlagReader(const std::vector<std::string>& args)
        : m_args(args) {}

    // Moves to the next flag; false when there is none.
    bool next() {
        if (m_next >= m_args.size())
            return false;
        m_flag = m_args[m_next++];
        m_inline.reset();
        if (auto eq = m_flag.find('='); m_flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            m_inline = m_flag.substr(eq + 1);
            m_flag.resize(eq);
        }
        return true;
    }
    const std::string& flag() const { return m_flag; }
    // The flag's value: after "=", else the next argument. Throws std::invalid_argument when none.
    std::string value() {
        if (m_inline)
            return *m_inline;
        if (m_next >= m_args.size())
            throw std::invalid_argument(m_flag + " needs a value");
        return m_args[m_next++];
    }

private:
    const std::vector<std::string>& m_args;
    std::size_t m_next = 0;
    std::string m_flag;
    std::optional<std::string> m_inline;
};

} // namespace parley::server::util
