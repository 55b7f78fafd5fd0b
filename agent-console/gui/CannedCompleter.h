#pragma once
// Issue 19: canned replies in the composer. Typing "/" at the start of the composer (then more of
// a shortcut, title or content) lists the matching canned replies (GET /api/v1/canned?q=) in a
// list above the composer; Up/Down pick, Enter or Tab or a click puts the reply's content into
// the composer for the agent to edit before sending, Esc closes the list. Nothing is sent.

#include <QObject>
#include <QTimer>

class QListWidget;
class QPlainTextEdit;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class CannedCompleter : public QObject {
    Q_OBJECT
public:
    // Watches `composer` (install after the composer's other event filters: this one runs first).
    CannedCompleter(Session* session, QPlainTextEdit* composer, QObject* parent = nullptr);
    // The list, to place in a layout above the composer (hidden until there is something to offer).
    QListWidget* list() const { return m_list; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void onTextChanged();
    void query();
    void choose();
    void hide();

    Session* m_session;
    QPlainTextEdit* m_composer;
    QListWidget* m_list;
    QTimer m_debounce;
    QString m_asked; // the query in flight or answered
    int m_generation = 0;
};

} // namespace parley::console::gui
