#include "util/Json.h"

#include <vector>

namespace parley::server {

namespace {

using nlohmann::json;

// Builds the document like nlohmann's own DOM parser, but refuses a duplicate key and nesting
// past the limit at the moment it sees them.
class StrictDomBuilder final : public nlohmann::json_sax<json> {
public:
    explicit StrictDomBuilder(std::size_t maxDepth)
        : m_maxDepth(maxDepth) {}

    json root;
    std::string error;

    bool null() override { return add(nullptr); }
    bool boolean(bool v) override { return add(v); }
    bool number_integer(number_integer_t v) override { return add(v); }
    bool number_unsigned(number_unsigned_t v) override { return add(v); }
    bool number_float(number_float_t v, const string_t&) override { return add(v); }
    bool string(string_t& v) override { return add(std::move(v)); }
    bool binary(binary_t&) override { return fault("is not valid JSON (UTF-8)."); }

    bool start_object(std::size_t) override { return open(json::object()); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }

    bool key(string_t& k) override {
        auto& object = *m_stack.back();
        if (object.contains(k))
            return fault(k.size() <= 64 ? "has the key \"" + k + "\" twice." : std::string("repeats a key."));
        m_slot = &object[k];
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
        // nlohmann's own message quotes the offending bytes, which may be invalid UTF-8 themselves.
        if (error.empty())
            error = "is not valid JSON (UTF-8): error at byte " + std::to_string(position) + ".";
        return false;
    }

private:
    json* place(json&& v) {
        if (m_stack.empty()) {
            root = std::move(v);
            return &root;
        }
        auto& parent = *m_stack.back();
        if (parent.is_array()) {
            parent.push_back(std::move(v));
            return &parent.back();
        }
        *m_slot = std::move(v);
        return m_slot;
    }
    bool add(json&& v) {
        place(std::move(v));
        return true;
    }
    bool open(json&& container) {
        if (m_stack.size() >= m_maxDepth)
            return fault("nests deeper than " + std::to_string(m_maxDepth) + " levels.");
        m_stack.push_back(place(std::move(container)));
        return true;
    }
    bool close() {
        m_stack.pop_back();
        return true;
    }
    bool fault(std::string why) {
        error = std::move(why);
        return false;
    }

    std::size_t m_maxDepth;
    std::vector<json*> m_stack;
    json* m_slot = nullptr;
};

} // namespace

JsonInput parseJsonInput(std::string_view text, std::size_t maxDepth) {
    // A raw NUL is valid nowhere in JSON text (inside strings it must be escaped), and nlohmann's
    // reader takes it for the end of the input.
    if (text.find('\0') != std::string_view::npos)
        return {nullptr, "is not valid JSON (UTF-8): it holds a NUL byte."};
    StrictDomBuilder builder(maxDepth);
    bool accepted = false;
    try {
        accepted = json::sax_parse(text, &builder, json::input_format_t::json, true);
    } catch (const json::exception&) {
        accepted = false;
    }
    if (!accepted)
        return {nullptr, builder.error.empty() ? std::string("is not valid JSON (UTF-8).") : builder.error};
    return {std::move(builder.root), {}};
}

} // namespace parley::server
