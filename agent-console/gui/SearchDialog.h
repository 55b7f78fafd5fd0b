#pragma once
// Issue 19: full-text search over the messages of all conversations (GET /api/v1/search), best
// matches first. Each result names the shopper and the time with a snippet of the message;
// activating one asks the window to open that conversation at that message.

#include <QDialog>
#include <QTimer>

class QLabel;
class QLineEdit;
class QListWidget;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class SearchDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr int kLimit = 50;

    explicit SearchDialog(Session* session, QWidget* parent = nullptr);
    void focusInput();

signals:
    void resultActivated(const QString& conversationId, qint64 seq);

private:
    void search();

    Session* m_session;
    QLineEdit* m_input;
    QListWidget* m_results;
    QLabel* m_status;
    QTimer m_debounce;
    int m_generation = 0;
};

} // namespace parley::console::gui
