#pragma once
// "Watch conversation": pick any conversation the console knows of (mine, the queue, the team's,
// ones watched before) by what the UI shows: the shopper's label or e-mail, the page, the short id.
// A full conversation id pasted from elsewhere works too. Nobody has to type an id.

#include <QDialog>

class QLineEdit;
class QListWidget;
class QPushButton;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class WatchDialog : public QDialog {
    Q_OBJECT
public:
    explicit WatchDialog(Session* session, QWidget* parent = nullptr);
    QString selectedConversation() const;
    void setFilter(const QString& text);

private:
    void refill();

    Session* m_session;
    QLineEdit* m_filter;
    QListWidget* m_list;
    QPushButton* m_open;
};

} // namespace parley::console::gui
