#pragma once
// Shoppers after hours and after the chat (issue 21): the shop's business hours and the idle
// auto-close setting (two keys of /admin/settings, through SettingsSection), the widget's
// "are we open" status, the reply address a shopper leaves, its rating of a closed chat, and the
// job that closes chats the shopper stopped answering. Its state lives in the store, so the job
// picks up where it was after a restart.

#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/SettingsSection.h"
#include "auth/Identity.h"
#include "domain/BusinessHours.h"
#include "parley/protocol/Types.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace parley::server {

struct AfterHoursOptions {
    // What one "minute" of idle_close_minutes lasts: a minute, or a second for tests
    // (--idle-close-unit-seconds).
    std::chrono::seconds idleCloseUnit{60};
    // How often the idle job looks for chats to close.
    std::chrono::milliseconds idleCheckInterval{30000};
};

class AfterHoursService final : public SettingsSection {
public:
    static constexpr int kMaxIdleCloseMinutes = 10080; // a week
    static constexpr std::size_t kMaxEmailBytes = 254;
    static constexpr std::size_t kMaxNameChars = 200;
    static constexpr std::size_t kMaxCommentChars = 2000;

    AfterHoursService(Store& store, ChatService& chat, const Clock& clock, AfterHoursOptions options = {});
    ~AfterHoursService() override;

    // SettingsSection: "business_hours" and "idle_close_minutes".
    void read(ReadTx& tx, nlohmann::json& out) const override;
    void apply(WriteTx& tx, const nlohmann::json& patch, const std::string& now) override;
    void committed() override;

    // {"open_now","next_open_at","agents_online"} for GET /api/v1/widget/config. No business
    // hours set: always open.
    nlohmann::json widgetStatus() const;

    protocol::Conversation setContact(const CustomerIdentity& who, const std::string& conversationId,
                                      const protocol::Contact& contact);
    protocol::Conversation rate(const CustomerIdentity& who, const std::string& conversationId, int score,
                                const std::optional<std::string>& comment);

    // One pass of the idle job: closes what has been idle long enough. Returns how many.
    int closeIdleNow();
    // The idle job on a thread of its own, until stop().
    void start();
    void stop();

private:
    struct Settings {
        std::optional<BusinessHours> hours;
        std::optional<int> idleCloseMinutes;
    };
    std::shared_ptr<const Settings> settings() const;
    static Settings readSettings(ReadTx& tx);
    void write(const std::function<void(WriteTx&)>& job);

    Store& m_store;
    ChatService& m_chat;
    const Clock& m_clock;
    AfterHoursOptions m_options;

    // Settings change rarely and are read on every widget load: cached until a PUT commits.
    mutable std::mutex m_settingsMutex;
    mutable std::shared_ptr<const Settings> m_settings;
    std::uint64_t m_settingsGeneration = 0;

    std::mutex m_jobMutex;
    std::condition_variable m_jobWake;
    bool m_stopping = false;
    std::thread m_job;
};

} // namespace parley::server
