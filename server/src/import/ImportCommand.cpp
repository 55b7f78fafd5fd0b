#include "import/ImportCommand.h"

#include "import/SqliteToPg.h"
#include "util/FlagReader.h"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace parley::server::import {

std::string ImportConfig::helpText() {
    return R"(Usage: parley-server import --from-data-dir DIR --database URL

Copies a single-node data dir (its SQLite database and token secret) into a new, empty PostgreSQL
database, for several nodes to run on (parley-server --database URL). Everything is copied:
agents with their password hashes, conversations and their messages with the same ids and seq,
notes, the FAQ, canned replies, settings, contacts and ratings, the audit log, erased shoppers,
the reply-mail outbox, and the token secret, so tokens issued by the single node stay valid.

  --from-data-dir DIR            the single node's --data-dir (read only; a server running on it
                                 may keep running: a consistent snapshot is copied, and what it
                                 writes later is not)
  --database URL                 postgresql://USER[:PW]@HOST[:PORT]/DB or
                                 postgresql:///DB?host=/socket/dir; its schema is created or
                                 migrated. It must be empty: no Parley data in it (a node that has
                                 once started on it has written an admin, the FAQ and a token
                                 secret); one that is not is refused and left as it is
  --help                         this text

The data dir's schema must be this parley-server's: start it once on an older data dir (without
--database) to migrate it first. All rows are written in one transaction: on any failure nothing
is written. Exit status: 0 imported, 1 failed, 2 bad flags or a database that is not empty.
)";
}

ImportConfig ImportConfig::parse(const std::vector<std::string>& args) {
    ImportConfig c;
    util::FlagReader flags(args);
    while (flags.next()) {
        const std::string& flag = flags.flag();
        auto value = [&flags] { return flags.value(); };
        if (flag == "--help" || flag == "-h") {
            c.help = true;
        } else if (flag == "--from-data-dir") {
            c.fromDataDir = value();
            if (c.fromDataDir.empty())
                throw std::invalid_argument("--from-data-dir needs a directory");
        } else if (flag == "--database") {
            c.database = value();
            if (c.database.rfind("postgresql://", 0) != 0 && c.database.rfind("postgres://", 0) != 0)
                throw std::invalid_argument("--database must be a postgresql:// URL");
        } else {
            throw std::invalid_argument("unknown option " + flag + " (see parley-server import --help)");
        }
    }
    if (c.help)
        return c;
    if (c.fromDataDir.empty())
        throw std::invalid_argument("--from-data-dir DIR is required (see parley-server import --help)");
    if (c.database.empty())
        throw std::invalid_argument(
            "--database postgresql://... is required (see parley-server import --help)");
    return c;
}

int runImportCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
    ImportConfig config;
    try {
        config = ImportConfig::parse(args);
    } catch (const std::exception& e) {
        std::fprintf(err, "parley-server import: %s\n", e.what());
        return 2;
    }
    if (config.help) {
        std::fputs(ImportConfig::helpText().c_str(), out);
        return 0;
    }
    auto progress = [out](const std::string& line) {
        std::fprintf(out, "%s\n", line.c_str());
        std::fflush(out);
    };
    try {
        progress("Importing " + config.fromDataDir + " into the PostgreSQL database...");
        const auto summary = importSqliteToPg(config.fromDataDir, config.database, progress);
        std::int64_t total = 0;
        std::fprintf(out, "Imported:\n");
        for (const auto& t : summary.tables) {
            std::fprintf(out, "  %-26s %lld\n", t.table.c_str(), static_cast<long long>(t.rows));
            total += t.rows;
        }
        std::fprintf(out, "  %-26s %lld\n", "rows in all", static_cast<long long>(total));
        std::fprintf(out, "  %-26s %s\n", "token secret",
                     summary.tokenSecretCopied ? "copied: tokens of the single node stay valid"
                                               : "none in the data dir: the nodes make a new one");
        if (summary.sourceInUse)
            std::fprintf(out,
                         "A parley-server was running on %s: stop it before the nodes take over, "
                         "or import again into a new database.\n",
                         config.fromDataDir.c_str());
        std::fflush(out);
        return 0;
    } catch (const DatabaseNotEmpty& e) {
        std::fprintf(err, "parley-server import: refused: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(err, "parley-server import: failed, nothing was imported: %s\n", e.what());
        return 1;
    }
}

} // namespace parley::server::import
