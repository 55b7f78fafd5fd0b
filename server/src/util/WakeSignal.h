#pragma once
// A one-shot wake-up for exactly one waiting thread: wait() returns once post() has been called,
// whether post() came first or not. One futex word: post() wakes that thread and no other.
//
// Why not std::binary_semaphore: libstdc++ 12 spins before it sleeps, and four of those spins are
// sched_yield() calls. On a busy machine each one hands the core to another runnable thread: a
// context switch that does no work, on every wait.

#include <atomic>
#include <cstdint>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace parley::server {

class WakeSignal {
public:
    WakeSignal() = default;
    WakeSignal(const WakeSignal&) = delete;
    WakeSignal& operator=(const WakeSignal&) = delete;

    // Blocks until post(). Call once.
    void wait() {
        std::uint32_t expected = kIdle;
        if (!m_state.compare_exchange_strong(expected, kWaiting, std::memory_order_acquire))
            return; // already posted
        while (m_state.load(std::memory_order_acquire) == kWaiting)
            futex(word(), FUTEX_WAIT_PRIVATE, kWaiting);
    }

    // Releases the waiter. Call once. The waiter may return (and destroy this object) as soon as
    // the state changes, so nothing of it is touched after the exchange: the wake goes to the
    // address taken before. A wake on a word that no longer holds a waiter is harmless (futex
    // users expect spurious wake-ups).
    void post() {
        auto* const address = word();
        if (m_state.exchange(kPosted, std::memory_order_release) == kWaiting)
            futex(address, FUTEX_WAKE_PRIVATE, 1);
    }

private:
    static constexpr std::uint32_t kIdle = 0;
    static constexpr std::uint32_t kPosted = 1;
    static constexpr std::uint32_t kWaiting = 2;

    std::uint32_t* word() { return reinterpret_cast<std::uint32_t*>(&m_state); }
    static void futex(std::uint32_t* address, int op, std::uint32_t value) {
        ::syscall(SYS_futex, address, op, value, nullptr, nullptr, 0);
    }

    std::atomic<std::uint32_t> m_state{kIdle};
};

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

} // namespace parley::server
