#pragma once
// A wake-up for exactly one waiting thread, on one futex word: wait() returns once post() has been
// called, whether post() came first or not, and consumes it, so the next wait() sleeps until the
// next post(). Posts do not add up: two before a wait() release one. post() wakes that one thread
// and no other.
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

    // Blocks until post(), then consumes it. One thread at a time.
    void wait() {
        std::uint32_t state = m_state.load(std::memory_order_acquire);
        for (;;) {
            if (state == kPosted) {
                if (m_state.compare_exchange_weak(state, kIdle, std::memory_order_acquire))
                    return;
                continue; // state reloaded
            }
            if (state == kIdle && !m_state.compare_exchange_weak(state, kWaiting, std::memory_order_acquire))
                continue;
            futex(word(), FUTEX_WAIT_PRIVATE, kWaiting); // returns at once unless still kWaiting
            state = m_state.load(std::memory_order_acquire);
        }
    }

    // Releases the waiter, or the next wait(). The waiter may return (and destroy this object) as
    // soon as the state changes, so nothing of it is touched after the exchange: the wake goes to
    // the address taken before. A wake on a word that no longer holds a waiter is harmless (futex
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
