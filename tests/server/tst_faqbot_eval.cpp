// The FAQ bot against shopper messages (tests/server/faqbot-eval) on the default FAQ: of the FAQ
// answers it gives at least 95 % are right (precision), and it answers at least 85 % of the
// messages the FAQ does answer (recall), over tune.tsv and check.tsv together. tune.tsv is what the
// thresholds and the default keywords were tuned on, check.tsv was not. blind-l to -r.tsv were
// written blind and held out from the default FAQ's example messages (DefaultFaqExamples.cpp, made
// of the earlier blind sets): they are printed, each and pooled, never gated on (a bar on them
// would invite tuning for them). P to R chose the margin, their misses read; L to O only measured.
// Each file's header says how it was used. Also prints every message the bot got wrong.
#include "domain/DefaultFaq.h"
#include "domain/FaqBot.h"

#include <QFile>
#include <QTest>

#include <utility>

using namespace parley::server;

namespace {

struct Figures {
    Figures& operator+=(const Figures& o) {
        answers += o.answers;
        rightAnswers += o.rightAnswers;
        inScope += o.inScope;
        handoffs += o.handoffs;
        handoffsRight += o.handoffsRight;
        smalltalk += o.smalltalk;
        smalltalkRight += o.smalltalkRight;
        none += o.none;
        noneRight += o.noneRight;
        wrong += o.wrong;
        return *this;
    }
    int answers = 0, rightAnswers = 0, inScope = 0;
    int handoffs = 0, handoffsRight = 0, smalltalk = 0, smalltalkRight = 0, none = 0, noneRight = 0;
    QStringList wrong;
    double precision() const { return answers ? double(rightAnswers) / answers : 1.0; }
    double recall() const { return inScope ? double(rightAnswers) / inScope : 1.0; }
};

Figures evaluate(const QString& path) {
    Figures f;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        qFatal("cannot read %s", qPrintable(path));
    const FaqIndex index(defaultFaq());
    const auto texts = BotTexts::defaults();
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const auto tab = line.indexOf(QLatin1Char('\t'));
        const QString expected = line.left(tab), message = line.mid(tab + 1);
        const auto reply = FaqBot::reply(message.toStdString(), index, texts);
        const QString slug = QString::fromStdString(reply.metadata.value("faq_slug", ""));
        const QString intent = QString::fromStdString(reply.metadata.value("intent", ""));
        QString got = reply.kind == BotReplyKind::Answer         ? slug
                      : reply.kind == BotReplyKind::HandoffOffer ? QStringLiteral("handoff")
                      : reply.kind == BotReplyKind::Identity     ? QStringLiteral("identity")
                      : reply.kind == BotReplyKind::Smalltalk    ? intent
                                                                 : QStringLiteral("none");
        const bool inScope = expected != QLatin1String("none") && expected != QLatin1String("handoff") &&
                             expected != QLatin1String("greeting") && expected != QLatin1String("thanks");
        f.inScope += inScope;
        if (reply.kind == BotReplyKind::Answer) {
            ++f.answers;
            f.rightAnswers += got == expected;
        }
        if (expected == QLatin1String("handoff")) {
            ++f.handoffs;
            f.handoffsRight += got == expected;
        } else if (expected == QLatin1String("greeting") || expected == QLatin1String("thanks")) {
            ++f.smalltalk;
            f.smalltalkRight += got == expected;
        } else if (expected == QLatin1String("none")) {
            ++f.none;
            f.noneRight += reply.kind != BotReplyKind::Answer;
        }
        if (got != expected) {
            f.wrong << QStringLiteral("  %1 -> %2 (expected %3)").arg(message, got, expected);
            // PARLEY_FAQBOT_EVAL_EXPLAIN=1: the three best candidates of each, to see why.
            if (qEnvironmentVariableIsSet("PARLEY_FAQBOT_EVAL_EXPLAIN")) {
                const auto analysis = index.analyze(message.toStdString());
                for (std::size_t i = 0; i < analysis.ranked.size() && i < 3; ++i) {
                    const auto& c = analysis.ranked[i];
                    const QString name = c.entry == FaqIndex::kHandoff ? QStringLiteral("handoff")
                                         : c.entry == FaqIndex::kOtherTopic
                                             ? QStringLiteral("(other topic)")
                                             : QString::fromStdString(index.entries()[c.entry].slug);
                    f.wrong << QStringLiteral("      %1 %2 phrase %3%4")
                                   .arg(name)
                                   .arg(c.confidence, 0, 'f', 3)
                                   .arg(c.phrase, 0, 'f', 2)
                                   .arg(c.strong ? QString() : QStringLiteral(" weak"));
                }
            }
        }
    }
    return f;
}

} // namespace

QString describe(const QString& name, const Figures& f) {
    return QStringLiteral("%1: precision %2 (%3 of %4 answers right), recall %5 (%3 of %6 in scope); person "
                          "requests %7/%8, greetings and thanks %9/%10, off-topic left unanswered %11/%12")
        .arg(name)
        .arg(f.precision(), 0, 'f', 3)
        .arg(f.rightAnswers)
        .arg(f.answers)
        .arg(f.recall(), 0, 'f', 3)
        .arg(f.inScope)
        .arg(f.handoffsRight)
        .arg(f.handoffs)
        .arg(f.smalltalkRight)
        .arg(f.smalltalk)
        .arg(f.noneRight)
        .arg(f.none);
}

// Prints a set's figures and every message the bot got wrong; returns the figures.
const Figures& report(const QString& name, const Figures& f) {
    qInfo().noquote() << describe(name, f);
    if (!f.wrong.isEmpty())
        qInfo().noquote() << QStringLiteral("%1, not as expected:\n").arg(name) +
                                 f.wrong.join(QLatin1Char('\n'));
    return f;
}

class TestFaqBotEval : public QObject {
    Q_OBJECT
private slots:
    void precisionAndRecall() {
        Figures all, development, heldOut; // gated; chose the margin; only measured
        const std::pair<const char*, Figures*> sets[] = {{"tune", &all},
                                                         {"check", &all},
                                                         {"blind-p", &development},
                                                         {"blind-q", &development},
                                                         {"blind-r", &development},
                                                         {"blind-l", &heldOut},
                                                         {"blind-m", &heldOut},
                                                         {"blind-n", &heldOut},
                                                         {"blind-o", &heldOut}};
        for (const auto& [name, pool] : sets)
            *pool +=
                report(QLatin1String(name),
                       evaluate(QStringLiteral(PARLEY_FAQBOT_EVAL_DIR "/%1.tsv").arg(QLatin1String(name))));
        qInfo().noquote() << describe(QStringLiteral("both halves"), all);
        qInfo().noquote() << describe(QStringLiteral("development, chose the margin (blind-p to -r)"),
                                      development);
        qInfo().noquote() << describe(QStringLiteral("held out, only measured (blind-l to -o)"), heldOut);
        // More sets to measure, not gated on (paths separated by ':'): a shop's own messages, or a
        // set written blind to see what nobody tuned for.
        for (const QString& path :
             qEnvironmentVariable("PARLEY_FAQBOT_EVAL_EXTRA").split(QLatin1Char(':'), Qt::SkipEmptyParts))
            report(path, evaluate(path));
        QVERIFY2(all.precision() >= 0.95, "precision below 0.95");
        QVERIFY2(all.recall() >= 0.85, "recall below 0.85");
        // Person requests, greetings and thanks are recognised too (not part of the two figures).
        QVERIFY(all.handoffsRight >= all.handoffs * 9 / 10);
        QVERIFY(all.smalltalkRight >= all.smalltalk * 9 / 10);
    }
};

QTEST_GUILESS_MAIN(TestFaqBotEval)
#include "tst_faqbot_eval.moc"
