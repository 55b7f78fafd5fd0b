#pragma once
// Where the console asks for a file name to save to (the reports' CSV, a shopper's export): one
// function, so that tests can answer instead of a modal QFileDialog.

#include <QString>

#include <functional>

class QWidget;

namespace parley::console::gui {

// Answers the chosen path, or "" when the person cancelled.
using SaveFileChooser = std::function<QString(QWidget* parent, const QString& caption,
                                              const QString& suggestedName, const QString& filter)>;

// Replaces the chooser (an empty function restores QFileDialog::getSaveFileName).
void setSaveFileChooser(SaveFileChooser chooser);
QString chooseSaveFile(QWidget* parent, const QString& caption, const QString& suggestedName,
                       const QString& filter);
// Writes the bytes whole or not at all (QSaveFile); false with the reason in *error.
bool writeFileAtomically(const QString& path, const QByteArray& bytes, QString* error);

} // namespace parley::console::gui
