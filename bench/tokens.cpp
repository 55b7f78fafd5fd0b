// parley-bench-tokens: TokenSigner::verify, the check every REST request and WebSocket hello
// starts with, on 1, 2 and 4 threads at once (each verifying its own token). Prints microseconds
// per verification per thread, the median of --runs runs: with no shared state between the
// threads the figure would stay flat up to the machine's core count.
// Usage: parley-bench-tokens [--verifications N] [--runs R]
#include "auth/TokenSigner.h"
#include "util/Clock.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace parley::server;

int main(int argc, char** argv) {
    int verifications = 200000, runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--verifications"))
            verifications = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[i + 1]);
    }
    SystemClock clock;
    const TokenSigner signer(std::string(32, 's'), clock);
    for (const int threads : {1, 2, 4}) {
        std::vector<double> perCall;
        for (int r = 0; r < runs; ++r) {
            std::vector<std::thread> workers;
            const auto start = std::chrono::steady_clock::now();
            for (int t = 0; t < threads; ++t)
                workers.emplace_back([&, t] {
                    const auto token = signer.issueCustomer("session-" + std::to_string(t));
                    for (int i = 0; i < verifications; ++i)
                        if (!signer.verify(token))
                            std::abort();
                });
            for (auto& w : workers)
                w.join();
            const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
            perCall.push_back(took.count() / verifications);
        }
        std::sort(perCall.begin(), perCall.end());
        std::printf("%d thread(s): %.2f us per verification per thread (median of %d; %u cores)\n", threads,
                    perCall[perCall.size() / 2], runs, std::thread::hardware_concurrency());
    }
}
