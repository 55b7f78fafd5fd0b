// parley-bench-faq: how long the FAQ bot takes to answer one message against a FAQ of 1,000
// entries (issue 18: under 1 ms). The FAQ is the default one plus generated entries of realistic
// size (a question of 8 words, 10 keyword phrases, an answer of 40 words, from a vocabulary of
// 4,000 made-up words plus the default FAQ's own); the messages are the evaluation set's
// (tests/server/faqbot-eval), a third of them with a typo, so the typo lookup runs too.
// Prints the index build time and the per-message time (p50, p99, max, mean) and whether the
// target is met. Usage: parley-bench-faq [--entries N] [--rounds R]
#include "domain/DefaultFaq.h"
#include "domain/FaqBot.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace parley::server;
using Clock = std::chrono::steady_clock;

namespace {

std::string word(std::mt19937& rng) {
    static const char* syllables[] = {"ka",  "lo", "mer", "tin", "sa",  "vo", "ril", "den", "po",  "gra",
                                      "shu", "ne", "bar", "qui", "ton", "ze", "fal", "mi",  "cor", "ult"};
    std::uniform_int_distribution<int> count(2, 4), pick(0, 19);
    std::string w;
    for (int i = count(rng); i > 0; --i)
        w += syllables[pick(rng)];
    return w;
}

std::vector<std::string> messages() {
    std::vector<std::string> out;
    for (const char* half : {"tune", "check"}) {
        std::ifstream in(std::string(PARLEY_FAQBOT_EVAL_DIR) + "/" + half + ".tsv");
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line[0] != '#' && line.find('\t') != std::string::npos)
                out.push_back(line.substr(line.find('\t') + 1));
    }
    return out;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char** argv) {
    std::size_t entries = 1000;
    int rounds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--entries"))
            entries = std::stoul(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--rounds"))
            rounds = std::stoi(argv[i + 1]);
    }

    std::mt19937 rng(18);
    std::vector<std::string> vocabulary;
    for (int i = 0; i < 4000; ++i)
        vocabulary.push_back(word(rng));
    auto faq = defaultFaq();
    for (const auto& e : defaultFaq()) // the default FAQ's words occur in generated entries too
        for (const std::string* text : {&e.question, &e.answer}) {
            std::size_t start = 0;
            while (start < text->size()) {
                const auto end = std::min(text->find(' ', start), text->size());
                vocabulary.push_back(text->substr(start, end - start));
                start = end + 1;
            }
        }
    std::uniform_int_distribution<std::size_t> pick(0, vocabulary.size() - 1);
    auto words = [&](int n) {
        std::string s;
        for (int i = 0; i < n; ++i)
            s += (i ? " " : "") + vocabulary[pick(rng)];
        return s;
    };
    while (faq.size() < entries) {
        parley::protocol::FaqEntry e;
        e.slug = "generated-" + std::to_string(faq.size());
        e.question = words(8) + "?";
        e.answer = words(40) + ".";
        for (int k = 0; k < 10; ++k)
            e.keywords += (k ? ", " : "") + words(2);
        e.displayOrder = static_cast<int>(faq.size());
        faq.push_back(std::move(e));
    }

    auto queries = messages();
    if (queries.empty()) {
        std::fprintf(stderr, "no messages found in %s\n", PARLEY_FAQBOT_EVAL_DIR);
        return 1;
    }
    for (std::size_t i = 0; i < queries.size(); i += 3) { // a typo: two letters swapped
        auto& q = queries[i];
        const auto at = q.find_first_of("aeiou", q.size() / 2);
        if (at != std::string::npos && at + 1 < q.size() && q[at + 1] != ' ')
            std::swap(q[at], q[at + 1]);
    }

    const auto buildStart = Clock::now();
    const FaqIndex index(faq);
    const double buildMs = std::chrono::duration<double, std::milli>(Clock::now() - buildStart).count();
    const auto texts = BotTexts::defaults();

    std::vector<double> times;
    std::size_t answers = 0;
    for (int r = 0; r < rounds; ++r)
        for (const auto& q : queries) {
            const auto start = Clock::now();
            const auto reply = FaqBot::reply(q, index, texts);
            times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
            answers += reply.kind == BotReplyKind::Answer;
        }
    double total = 0;
    for (double t : times)
        total += t;
    const double p99 = percentile(times, 0.99);
    std::printf("FAQ of %zu entries: index built in %.1f ms\n", faq.size(), buildMs);
    std::printf(
        "%zu replies (%zu messages x %d rounds, %zu FAQ answers): per message p50 %.1f us, p99 %.1f us, "
        "max %.1f us, mean %.1f us\n",
        times.size(), queries.size(), rounds, answers, percentile(times, 0.5), p99,
        *std::max_element(times.begin(), times.end()), total / static_cast<double>(times.size()));
    std::printf("target: p99 < 1 ms: %s\n", p99 < 1000.0 ? "met" : "MISSED");
    return 0;
}
