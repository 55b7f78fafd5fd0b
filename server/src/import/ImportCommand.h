#pragma once
// `parley-server import ...`: its flags, --help text and exit status (main only dispatches here).
// Exit status: 0 imported; 1 the import failed (nothing written); 2 bad flags, or a database that
// is not empty (refused, nothing written).

#include <cstdio>
#include <string>
#include <vector>

namespace parley::server::import {

struct ImportConfig {
    std::string fromDataDir; // --from-data-dir
    std::string database;    // --database postgresql://...
    bool help = false;

    // args: what follows "import". Throws std::invalid_argument with a message for people.
    static ImportConfig parse(const std::vector<std::string>& args);
    static std::string helpText();
};

// Runs the subcommand; progress and the summary go to out, errors to err.
int runImportCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

} // namespace parley::server::import
