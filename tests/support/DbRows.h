#pragma once
// A database row as the tests' read-only views return it (SqliteReadOnly, PgReadOnly): each
// column as text, NULL as nullopt; and the rows written out for a failure message.

#include <optional>
#include <string>
#include <vector>

namespace parley::test {

using DbRow = std::vector<std::optional<std::string>>;

// One row a line, columns separated by spaces, NULL spelt out.
inline std::string describeRows(const std::vector<DbRow>& rows) {
    std::string out;
    for (const auto& r : rows) {
        out += "\n  ";
        for (const auto& c : r)
            out += (c ? *c : std::string("NULL")) + " ";
    }
    return out;
}

} // namespace parley::test
