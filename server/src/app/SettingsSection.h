#pragma once
// A group of keys of GET/PUT /api/v1/admin/settings owned by a use-case class other than
// ChatService (which owns "bot"). ChatService reads and applies every registered section in the
// same transaction as its own keys, so one PUT is all-or-nothing.

#include "store/Store.h"

#include <nlohmann/json.hpp>

#include <string>

namespace parley::server {

class SettingsSection {
public:
    virtual ~SettingsSection() = default;
    // Adds this section's keys, with their current values, to out.
    virtual void read(ReadTx& tx, nlohmann::json& out) const = 0;
    // Applies the keys of patch this section owns (the others are not its business). Throws
    // ApiError 400 naming the field on a bad value.
    virtual void apply(WriteTx& tx, const nlohmann::json& patch, const std::string& now) = 0;
    // After the PUT's transaction committed (drop caches).
    virtual void committed() {}
};

} // namespace parley::server
