#pragma once
// The console's confirmation for what cannot be undone (close a chat, delete an entry, erase a
// shopper's data): window-modal and asynchronous, so the event loop and live updates keep running
// while it is open; Cancel is the default button.

#include <QMessageBox>
#include <QString>

#include <functional>

namespace parley::console::gui {

// Opens the box over `parent` and returns it (it deletes itself when closed; keep it in a QPointer
// to know whether one is open). `answered(yes)` runs once, when it closes. Tests find it and its
// buttons by object name: <name>Box, <name>Yes, <name>Cancel.
QMessageBox* askToConfirm(QWidget* parent, QMessageBox::Icon icon, const QString& name, const QString& title,
                          const QString& text, const QString& yesText,
                          std::function<void(bool yes)> answered);

} // namespace parley::console::gui
