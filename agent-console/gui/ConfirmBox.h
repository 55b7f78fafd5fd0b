#pragma once
// The console's confirmation for what cannot be undone (close a chat, delete an entry, erase a
// shopper's data): window-modal and asynchronous, so the event loop and live updates keep running
// while it is open; Cancel is the default button.

#include <QMessageBox>
#include <QPointer>
#include <QString>

#include <functional>
#include <utility>

namespace parley::console::gui {

// Opens the box over `parent` and returns it (it deletes itself when closed; keep it in a QPointer
// to know whether one is open). `answered(yes)` runs once, when it closes. Tests find it and its
// buttons by object name: <name>Box, <name>Yes, <name>Cancel.
QMessageBox* askToConfirm(QWidget* parent, QMessageBox::Icon icon, const QString& name, const QString& title,
                          const QString& text, const QString& yesText,
                          std::function<void(bool yes)> answered);

// The question an editor asks before it drops unsaved edits (Close, Esc, New, another row): the
// record editors and the settings editor ask it alike. One is open at a time per editor.
class DiscardQuestion {
public:
    DiscardQuestion(QWidget* editor, QString text)
        : m_editor(editor)
        , m_text(std::move(text)) {}

    // Runs `then` at once when there are no edits (`dirty` false), else once the admin has agreed
    // to discard them.
    void discardEditsThen(bool dirty, std::function<void()> then);
    // Asks: `discard` runs when the admin says yes, `keep` on Cancel. Nothing while already asking.
    void ask(std::function<void()> discard, std::function<void()> keep = {});
    bool isOpen() const { return !m_box.isNull(); }

private:
    QPointer<QWidget> m_editor;
    QString m_text;
    QPointer<QMessageBox> m_box;
};

} // namespace parley::console::gui
