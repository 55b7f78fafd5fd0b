#pragma once
// The FAQ a new data dir starts with: what shoppers of an online shop ask most, and messages
// shoppers wrote about it, which teach the matcher their phrasings.

#include "parley/protocol/Types.h"

#include <string_view>
#include <vector>

namespace parley::server {

std::vector<protocol::FaqEntry> defaultFaq();

// Example messages for the shipped entries: how shoppers ask what a shipped entry answers, in
// their own words, typos and all. FaqIndex treats them as more keywords of an entry while it is
// still the shipped one (its slug and question unchanged). They were written by sessions that saw
// only the FAQ, never the bot, as evaluation sets (DefaultFaqExamples.cpp says which); the messages
// of the gated sets (tune.tsv, check.tsv) and of the held-out ones are not among them.
struct ShippedExamples {
    std::string_view slug;
    std::vector<std::string_view> messages;
};
const std::vector<ShippedExamples>& defaultFaqExamples();

// Messages that no shipped entry answers although they share its words ("does the kenya come in
// whole bean", "cancel my subscription"): the matcher's examples of what the FAQ does not cover.
const std::vector<std::string_view>& defaultFaqNonExamples();

} // namespace parley::server
