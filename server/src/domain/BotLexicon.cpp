#include "domain/BotLexicon.h"

#include <unordered_set>

namespace parley::server::lexicon {
namespace {

using WordSet = std::unordered_set<std::string_view>;

WordSet words(std::string_view list) {
    WordSet out;
    std::size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && list[i] == ' ')
            ++i;
        std::size_t j = i;
        while (j < list.size() && list[j] != ' ')
            ++j;
        if (j > i)
            out.insert(list.substr(i, j - i));
        i = j;
    }
    return out;
}

// Function words, filler and the pieces contractions split into ("don't" -> "don" "t").
constexpr std::string_view kEnglishStop =
    "a about above after again against all also am an and any are as at be because been before being "
    "below between both but by can cannot could many d did do does doing done down during each either else "
    "etc "
    "even ever every few for from further get gets getting got gotten had has have having he her here "
    "hers herself him himself his how i id if im in into is it its itself ive just let lets ll m me might "
    "mine more most must my myself of off on once one only onto or other others ought our ours ourselves "
    "out over own per re s same shall she should since so some such t than that thats the their theirs "
    "them themselves then there theres these they this those through thus to too u ur under until up upon "
    "us ve very via was we were what whats which while who whom whose why will with within would y you "
    "youd youll your youre yours yourself yourselves "
    // what is left of a contraction once its negation is read ("won't" -> "won" "t")
    "won ain "
    // filler that says nothing about the topic
    "please pls plz just really actually maybe perhaps well basically anyway quick question questions "
    "query help wondering wonder want wanted wants wanna need needs needed know tell say said told guys "
    "guy folks thing things something anything everything stuff able possible still yet already make made "
    "take takes taken took "
    "use used using go goes going went come came see look looking find found put now "
    // politeness and reactions: no topic, and not a greeting either
    "ok okay k kk yes yeah yep yup sure fine good great nice cool perfect awesome alright right hmm hm oh "
    "ah lol haha dear sir madam";

constexpr std::string_view kGermanStop =
    "aber alle als also am an auch auf aus bei bin bis bitte bist da damit dann das dass dem den der des "
    "die dies diese dieser dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer "
    "fur gibt hab habe haben hat hatte hier ich ihr ihre im in ist ja jetzt kann kannst konnen konnte "
    "man mein meine meinem meinen meiner mich mir mit muss nach nein nicht noch nur ob oder ohne sein "
    "seine sich sie sind so soll sollte um und uns unser unsere vom von vor war waren was weil wenn wer "
    "wie wieder will wir wird wurde zu zum zur kein keine morgen abend tag gut okay frage";
constexpr std::string_view kFrenchStop =
    "a au aux avec ce ces cet cette c d de des du elle en est et etre il ils j je l la le les leur lui m "
    "ma mais me mes moi mon n ne nous on ou par pas pour qu que qui s sa se ses si son sont sur t ta te "
    "tes toi ton tu un une vos votre vous y ai as avez avons suis sommes etes ont fait faire peux peut "
    "pouvez puis veux voudrais voudrait svp stp plait comment quel quelle quels quelles oui non bien "
    "question";
constexpr std::string_view kSpanishStop =
    "a al algo como con cual de del el ella en es esta estan este esto ha han hay la las le les lo los me "
    "mi mis muy no nos o para pero por porque puedo puede pueden que quiero se si sin su sus te tengo "
    "tiene un una uno unos y ya yo usted ustedes favor hola bien pregunta";

// Negations: "hasn't arrived yet" is not "when will it arrive"; each of them reads as "not".
constexpr std::string_view kNegations =
    "not no never nothing nope dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt "
    "cant hasnt havent hadnt aint don doesn didn isn aren wasn weren wouldn couldn shouldn hasn haven "
    "hadn nicht kein keine nie pas jamais nunca не нет ни δεν μην οχι";

// Scripts with a stemmer of their own get their function words whatever the shop's language.
constexpr std::string_view kRussianStop =
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было "
    "вот от меня еще о из ему теперь даже ну вдруг ли если уже или быть был него до вас нибудь опять уж "
    "вам ведь там потом себя ей может они тут есть надо ней для мы тебя их чем была сам чтоб без будто "
    "чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один "
    "почти мой тем чтобы нее сейчас были куда зачем всех можно при об хоть после над больше тот через "
    "эти нас про всего них какая много эту моя свою этой перед лучше том такой им более всегда конечно "
    "всю между мое мои мою моего моей моим какие каким сделать хочу хотел хотела хотим подскажите "
    "скажите пожалуйста здравствуйте спасибо ваш ваша ваше ваши вашего вашей сколько идет занимает";
constexpr std::string_view kGreekStop =
    "ο η το οι τα του τησ των τον την και κι να θα με σε απο για προσ ωσ οτι πωσ που ποιο ποια ποιοσ "
    "ποιεσ ποιοι τι ειναι ειμαι εχω εχετε εχει ενα εναν ενασ μια μιασ μου σου μασ σασ τουσ αυτο αυτη "
    "αυτοσ αυτα αλλα στο στη στην στον στα στουσ στισ μπορω μπορειτε μπορει θελω θελα ποσο ποση ποσα "
    "παρακαλω ευχαριστω";

constexpr std::string_view kEnglishWeak = "when where wheres whens long";
constexpr std::string_view kGermanWeak = "wann wo lange";
constexpr std::string_view kFrenchWeak = "quand";
constexpr std::string_view kSpanishWeak = "cuando donde";

constexpr std::string_view kGreetings =
    "hi hii hiii hello helo hallo hey heya hiya howdy yo greetings morning afternoon evening gday hola "
    "buenas buenos dias tardes noches bonjour bonsoir salut coucou moin servus guten gruss ciao";
constexpr std::string_view kThanks =
    "thanks thank thankyou thx thanx tx ty tnx cheers appreciate appreciated "
    "bye goodbye cya danke dankeschon vielen merci gracias adios tschuss";

struct Lists {
    WordSet stop[4], weak[4], greetings, thanks, negations, russianStop, greekStop;
};

// Indexed by text::Language.
const Lists& lists() {
    static const Lists l{{words(kEnglishStop), words(kGermanStop), words(kFrenchStop), words(kSpanishStop)},
                         {words(kEnglishWeak), words(kGermanWeak), words(kFrenchWeak), words(kSpanishWeak)},
                         words(kGreetings),
                         words(kThanks),
                         words(kNegations),
                         words(kRussianStop),
                         words(kGreekStop)};
    return l;
}

} // namespace

WordClass classify(std::string_view word, text::Language language) {
    const Lists& l = lists();
    const auto lang = static_cast<std::size_t>(language);
    if (l.greetings.contains(word))
        return WordClass::Greeting;
    if (l.thanks.contains(word))
        return WordClass::Thanks;
    if (l.negations.contains(word))
        return WordClass::Negation;
    if (l.weak[0].contains(word) || l.weak[lang].contains(word))
        return WordClass::Weak;
    if (l.stop[0].contains(word) || l.stop[lang].contains(word) || l.russianStop.contains(word) ||
        l.greekStop.contains(word))
        return WordClass::Stop;
    return WordClass::Content;
}

void rewrite(std::vector<text::Token>& tokens, text::Language language) {
    for (std::size_t i = 1; i < tokens.size(); ++i)
        if (tokens[i].word == "us" && tokens[i - 1].word == "the") {
            tokens[i].word = "usa";
            tokens[i].stem = text::stem("usa", language);
        }
}

std::vector<std::string_view> handoffPhrases(text::Language language) {
    std::vector<std::string_view> out = {"agent",
                                         "live agent",
                                         "human",
                                         "real human",
                                         "human being",
                                         "person",
                                         "real person",
                                         "actual person",
                                         "someone",
                                         "somebody",
                                         "anyone",
                                         "representative",
                                         "operator",
                                         "staff",
                                         "employee",
                                         "live chat",
                                         "customer service",
                                         "talk to someone",
                                         "speak to someone",
                                         "talk to a person",
                                         "speak to a human",
                                         "talk",
                                         "speak",
                                         "call me"};
    switch (language) {
    case text::Language::German:
        out.insert(out.end(), {"mitarbeiter", "mitarbeiterin", "mensch", "echter mensch", "person",
                               "echte person", "jemand", "jemandem", "berater", "beraterin", "kundendienst",
                               "kundenservice", "sprechen", "reden", "mit jemandem sprechen"});
        break;
    case text::Language::French:
        out.insert(out.end(), {"agent", "humain", "personne", "vraie personne", "conseiller", "conseillere",
                               "quelqu un", "operateur", "service client", "parler", "parler a quelqu un"});
        break;
    case text::Language::Spanish:
        out.insert(out.end(), {"agente", "humano", "persona", "persona real", "alguien", "asesor", "operador",
                               "representante", "atencion al cliente", "hablar", "hablar con alguien"});
        break;
    case text::Language::English:
        break;
    }
    return out;
}

} // namespace parley::server::lexicon
