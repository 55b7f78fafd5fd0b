#include "domain/BotLexicon.h"

#include <algorithm>
#include <cctype>
#include <iterator>
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
    "take takes taken took til till rn ago last "
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
    "wie wieder will wir wird wurde zu zum zur kein keine morgen abend tag gut okay frage mochte moechte "
    "gerne gern brauche";
constexpr std::string_view kFrenchStop =
    "a au aux avec ce ces cet cette c d de des du elle en est et etre il ils j je l la le les leur lui m "
    "ma mais me mes moi mon n ne nous on ou par pas pour qu que qui s sa se ses si son sont sur t ta te "
    "tes toi ton tu un une vos votre vous y ai as avez avons suis sommes etes ont fait faire peux peut "
    "pouvez puis veux voudrais voudrait svp stp plait comment quel quelle quels quelles oui non bien "
    "question";
constexpr std::string_view kSpanishStop =
    "a al algo como con cual de del el ella en es esta estan este esto ha han hay la las le les lo los me "
    "mi mis muy no nos o para pero por porque puedo puede pueden que quiero se si sin su sus te tengo "
    "tiene un una uno unos y ya yo usted ustedes favor hola bien pregunta necesito quisiera gustaria "
    "podria";

// Negations: "hasn't arrived yet" is not "when will it arrive"; each of them reads as "not".
constexpr std::string_view kNegations =
    "not no never nothing nope dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt "
    "cant hasnt havent hadnt aint don doesn didn isn aren wasn weren wouldn couldn shouldn hasn haven "
    "hadn nicht kein keine keinen keinem keiner nie pas jamais nunca niet geen nao não не нет ни δεν μην οχι";

// The negations that turn a wish down ("don't want", "no need", "kein"); the others say what
// cannot be done or did not happen ("can't reach anyone", "haven't talked to anyone"), which
// still asks for a person.
constexpr std::string_view kRefusals = "not no dont don doesnt doesn never nicht kein keine keinen keinem "
                                       "keiner pas non niet geen nunca nao nie не";
// Between a refusal and the person it turns down, words of the wish itself: "pas besoin d'un agent",
// "non ho bisogno", "nie potrzebuję", "não preciso", "no hace falta", "не нужен оператор", "не хочу
// говорить с ...".
constexpr std::string_view kWishes =
    "besoin envie bisogno serve potrzebuje preciso hace falta нужен нужна нужно нужны говорить разговаривать";
// A refusal and then one of these turns down the person before it too: "оператор не нужен".
constexpr std::string_view kNeededAfter = "нужен нужна нужно нужны надо";
// Reaching someone: "ich habe keinen Mitarbeiter erreicht" says nobody was reached, not that
// nobody is wanted. Contacting is reaching: "je n'arrive pas à vous contacter".
constexpr std::string_view kReach = "reach reached reaching erreicht erreichen erreiche erreichte joindre "
                                    "contacter contactar raggiungere bereiken bereikt";
// Words that say when: "I can't reach anyone on sunday" asks about the opening hours, where "I
// called twice and I can't reach anyone" says that nobody answers now. Not "today" or "now": "I
// can't reach anyone today" is the complaint.
constexpr std::string_view kWhen =
    "monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays "
    "fridays saturdays sundays mon tue tues wed thu thur thurs fri sat sun weekend weekends weekday "
    "weekdays holiday holidays hours hour open opening opens closed close closing morning mornings "
    "afternoon afternoons evening evenings night nights tonight lunch lunchtime late early am pm oclock "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag wochenende abends morgens lundi mardi "
    "mercredi jeudi vendredi samedi dimanche soir matin lunes martes miercoles jueves viernes sabado "
    "domingo noche";
// Around a negation, a question that asks all the same: "can't I", "don't you have", "can I not".
constexpr std::string_view kInverted = "i you u ya we they ich du wir";
constexpr std::string_view kModals = "can could will would do does kann kannst konnen konnte";
constexpr std::string_view kWhy = "why warum pourquoi waarom perche";

// "Are you a bot?": a form of "to be", who is asked about, and what they might be.
constexpr std::string_view kBe = "are r is am ist bist sind seid es est etes eres sois sei siete ben bent e";
constexpr std::string_view kAskedAbout = "you u ya this it i du sie vous tu ce c usted je jij";
constexpr std::string_view kBeYou = "eres sois sei"; // "eres un bot?": the "you" is in the verb
// Not "machine", "automatic", "people": "is it machine washable", "is it automatic or do I ask".
constexpr std::string_view kBotOrPerson = "bot bots robot robots chatbot chatbots ai ki ia automated roboter "
                                          "human humans person mensch humain humano humana persona umano "
                                          "persoon mens czlowiek";
// Between them: "am I talking to a real human", "are you even an actual person".
constexpr std::string_view kBetween =
    "talking chatting speaking texting writing real actual actually live really even or echt echter echte "
    "echtes vrai vraie";

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

// Languages without a stemmer or lists of their own here: their function words never count, so
// that the shop words of a message in them (BotGlossary.cpp) carry it. None is an English word
// that could be what a message is about.
constexpr std::string_view kOtherStop =
    // Italian
    "il lo gli le uno una di da con su per tra fra che chi ed mi ti ci vi si mio mia miei mie tuo "
    "tua suo sua nostro vostro loro del della dei delle dello al alla ai alle dal dalla nel nella "
    "sono sei siamo siete ho hai abbiamo avete hanno posso puoi puo potete potrei vorrei voglio "
    "quanto quanta quale qual cosa ancora gia molto anche piu tutto questo questa quello quella "
    "ecco ci vuole fatto "
    // Dutch
    "het een en van op te dat zijn ben bent waren heb hebt heeft hebben ik jij uw mijn mij wij ze "
    "zij hij er met voor naar aan om bij uit ook nog al maar als dan hoe kan kunnen kun wil wilt "
    "graag zou zouden moet moeten aub alstublieft even hier daar deze dit fijne dag "
    // Polish
    "w z na jest sa czy sie się mi moj mój moja moje mojego mojej moją ja ty ona wy oni jak ile juz "
    "już jeszcze tak ze że od po za dla przez ta te tego tej prosze proszę bardzo chce chcę "
    "chcialbym chciałbym chcialabym chciałabym moge mogę mozna można mozecie możecie "
    // Portuguese
    "os um uma da dos das em nos nas para com que ou mas meu minha meus minhas seu sua voce você "
    "voces vocês eu ele ela eles elas sou esta está estao estão tem tenho temos pode posso podem "
    "quero gostaria queria como quanto muito ainda";
constexpr std::string_view kEnglishWeak = "when where wheres whens long";
constexpr std::string_view kGermanWeak = "wann wo lange";
constexpr std::string_view kFrenchWeak = "quand";
constexpr std::string_view kSpanishWeak = "cuando donde";

constexpr std::string_view kGreetings =
    "hi hii hiii hello helo hallo hey heya hiya howdy yo greetings morning afternoon evening gday hola "
    "buenas buenos dias tardes noches bonjour bonsoir salut coucou moin servus guten gruss ciao "
    "buongiorno buonasera salve ola hoi goedemorgen goedemiddag goedenavond czesc cześć witam dzien "
    "dzień dobry privet привет здравствуйте здравствуй";
constexpr std::string_view kThanks =
    "thanks thank thankyou thx thanx tx ty tnx cheers appreciate appreciated "
    "bye goodbye cya danke dankeschon vielen merci gracias adios tschuss "
    "grazie obrigado obrigada bedankt dankjewel dziekuje спасибо благодарю пока";

struct Lists {
    WordSet stop[4], weak[4], greetings, thanks, negations, russianStop, greekStop, otherStop, refusals,
        wishes, neededAfter, reach, when, inverted, modals, why, be, askedAbout, beYou, botOrPerson, between;
};

// Indexed by text::Language.
const Lists& lists() {
    static const Lists l{{words(kEnglishStop), words(kGermanStop), words(kFrenchStop), words(kSpanishStop)},
                         {words(kEnglishWeak), words(kGermanWeak), words(kFrenchWeak), words(kSpanishWeak)},
                         words(kGreetings),
                         words(kThanks),
                         words(kNegations),
                         words(kRussianStop),
                         words(kGreekStop),
                         words(kOtherStop),
                         words(kRefusals),
                         words(kWishes),
                         words(kNeededAfter),
                         words(kReach),
                         words(kWhen),
                         words(kInverted),
                         words(kModals),
                         words(kWhy),
                         words(kBe),
                         words(kAskedAbout),
                         words(kBeYou),
                         words(kBotOrPerson),
                         words(kBetween)};
    return l;
}

constexpr text::Language kLatinLanguages[] = {text::Language::English, text::Language::German,
                                              text::Language::French, text::Language::Spanish};

} // namespace

std::optional<text::Language> writtenIn(const std::vector<text::Token>& tokens, text::Language shop) {
    const Lists& l = lists();
    // Function words of one language that are none of English's: "ich", "voudrais", "quiero".
    int hits[4] = {}, english = 0;
    for (const auto& t : tokens) {
        if (t.gram)
            continue;
        const bool isEnglish = l.stop[0].contains(t.word) || l.weak[0].contains(t.word);
        for (std::size_t i = 1; i < 4; ++i)
            if (!isEnglish && (l.stop[i].contains(t.word) || l.weak[i].contains(t.word)))
                ++hits[i];
        if (isEnglish && std::none_of(std::begin(l.stop) + 1, std::end(l.stop),
                                      [&](const WordSet& s) { return s.contains(t.word); }))
            ++english;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < 4; ++i)
        if (hits[i] > english && hits[i] > hits[best])
            best = i;
    if (best == 0 || kLatinLanguages[best] == shop)
        return std::nullopt;
    return kLatinLanguages[best];
}

WordClass classify(std::string_view word, text::Language language, std::optional<text::Language> also) {
    const Lists& l = lists();
    const auto lang = static_cast<std::size_t>(language);
    const auto other = static_cast<std::size_t>(also.value_or(language));
    if (l.greetings.contains(word))
        return WordClass::Greeting;
    if (l.thanks.contains(word))
        return WordClass::Thanks;
    if (l.negations.contains(word))
        return WordClass::Negation;
    if (l.weak[0].contains(word) || l.weak[lang].contains(word) || l.weak[other].contains(word))
        return WordClass::Weak;
    if (l.stop[0].contains(word) || l.stop[lang].contains(word) || l.stop[other].contains(word) ||
        l.russianStop.contains(word) || l.greekStop.contains(word) || l.otherStop.contains(word))
        return WordClass::Stop;
    return WordClass::Content;
}

bool timeOfDay(std::string_view word) {
    return word == "morning" || word == "afternoon" || word == "evening";
}

bool startsClause(std::string_view word) {
    static const WordSet conjunctions =
        words("but and so because cause since though although however also then "
              "plus btw anyway aber und weil denn mais et parce pero porque");
    return conjunctions.contains(word);
}

bool misspelledFunctionWord(std::string_view word, text::Language language) {
    const Lists& l = lists();
    const auto lang = static_cast<std::size_t>(language);
    auto known = [&](const std::string& w) {
        return l.stop[0].contains(w) || l.weak[0].contains(w) || l.stop[lang].contains(w) ||
               l.weak[lang].contains(w);
    };
    if (word.size() < 3 || word.size() > 7 ||
        !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
        return false;
    std::string w(word);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) { // two letters swapped: "dose", "teh"
        std::swap(w[i], w[i + 1]);
        const bool hit = w != word && known(w);
        std::swap(w[i], w[i + 1]);
        if (hit)
            return true;
    }
    for (std::size_t i = 0; i <= w.size(); ++i) // a letter left out: "wat", "becuse"
        for (char c = 'a'; c <= 'z'; ++c)
            if (known(std::string(word.substr(0, i)) + c + std::string(word.substr(i))))
                return true;
    if (word.size() >= 5) // a letter too many: "youur", "pleasse"
        for (std::size_t i = 0; i < w.size(); ++i)
            if (known(std::string(word.substr(0, i)) + std::string(word.substr(i + 1))))
                return true;
    return false;
}

namespace {

void setWord(text::Token& token, std::string_view word, text::Language language) {
    token.word = std::string(word);
    token.stem = text::stem(token.word, language);
}

// French "arriver à" + infinitive is "manage to", not a parcel arriving: "je n'arrive pas à
// joindre un conseiller" is "I can't reach an advisor". Read "arrive" as "can", and "pas" after it
// as "can't" (what cannot be done, no refusal of the person). Only with a French subject or "pas"
// and a word after "à" that looks like an infinitive ("joindre", "parler", "me connecter").
void frenchManageTo(std::vector<text::Token>& tokens, text::Language language) {
    static const WordSet arriveForms =
        words("arrive arrives arrivons arrivez arrivent arriver arrivais arrivait "
              "arrivions arriviez arrivaient arrivee arrivees");
    static const WordSet notWords = words("pas plus jamais");
    static const WordSet subjects = words("je j tu on nous vous n ne y");
    static const WordSet objects = words("me m te t se s nous vous les le la l y en lui leur");
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].gram || !arriveForms.contains(tokens[i].word))
            continue;
        // "n'arrive pas à", "n'arrive toujours pas à", "ne suis pas arrivé à"
        std::size_t negation = tokens.size(), j = i + 1;
        if (j < tokens.size() && tokens[j].word == "toujours")
            ++j;
        if (j < tokens.size() && notWords.contains(tokens[j].word))
            negation = j++;
        else if (i > 0 && notWords.contains(tokens[i - 1].word))
            negation = i - 1;
        if (j >= tokens.size() || tokens[j].word != "a")
            continue;
        const std::size_t firstObject = ++j;
        while (j < tokens.size() && objects.contains(tokens[j].word))
            ++j;
        if (j >= tokens.size() || tokens[j].gram)
            continue;
        const std::string_view verb = tokens[j].word;
        const bool infinitive =
            verb.size() >= 4 && (verb.ends_with("er") || verb.ends_with("ir") || verb.ends_with("re"));
        const bool french = negation < tokens.size() || (i > 0 && subjects.contains(tokens[i - 1].word));
        if (!infinitive || !french)
            continue;
        setWord(tokens[i], "can", language);
        if (negation < tokens.size())
            setWord(tokens[negation], "cant", language);
        // "je n'arrive pas à vous joindre": the "vous" who cannot be reached is the shop's team, so
        // nobody answers, as in "je n'arrive pas à joindre quelqu'un" (a person, not the hours).
        if (negation < tokens.size() && lists().reach.contains(verb))
            for (std::size_t k = firstObject; k < j; ++k)
                if (tokens[k].word == "vous")
                    setWord(tokens[k], "quelqu", language);
    }
}

// Where a "can't" right before tokens[i] starts ("can't", "cannot", "could not", "unable to"),
// or npos: what cannot be done, not a refusal.
std::size_t cantBefore(const std::vector<text::Token>& tokens, std::size_t i) {
    if (i == 0)
        return std::string_view::npos;
    const auto& one = tokens[i - 1].word;
    if (one == "cant" || one == "cannot" || one == "couldnt")
        return i - 1;
    const std::string_view two = i >= 2 ? std::string_view(tokens[i - 2].word) : std::string_view();
    if (((one == "t" || one == "not") && (two == "can" || two == "could" || two == "couldn")) ||
        (one == "to" && two == "unable"))
        return i - 2;
    return std::string_view::npos;
}

// A "can't" and a "reach" starting at tokens[i] ("can't reach", "couldn't get through to", "unable
// to get hold of"): where the "can't" starts, and the first token after the verb; `from` is npos
// when there is none.
struct CantReach {
    std::size_t from = std::string_view::npos;
    std::size_t after = 0;
};
CantReach cantReachAt(const std::vector<text::Token>& tokens, std::size_t i) {
    const auto& w = tokens[i].word;
    const bool getThrough = w == "get" && i + 1 < tokens.size() && tokens[i + 1].word == "through";
    const bool getHold =
        w == "get" && i + 2 < tokens.size() && tokens[i + 1].word == "hold" && tokens[i + 2].word == "of";
    if (tokens[i].gram || (w != "reach" && !getThrough && !getHold))
        return {};
    return {cantBefore(tokens, i), i + 1 + getThrough + 2 * getHold};
}

// Whether tokens[j] says when: "sunday", "evening", "6pm", "18h" ("good morning" greets).
bool saysWhen(const std::vector<text::Token>& tokens, std::size_t j) {
    const auto& w = tokens[j].word;
    if (!w.empty() && std::isdigit(static_cast<unsigned char>(w.front())) &&
        (w.ends_with("am") || w.ends_with("pm") || w.ends_with("h")))
        return true;
    const bool greeting = j > 0 && (tokens[j - 1].word == "good" || tokens[j - 1].word == "guten");
    return lists().when.contains(w) && !greeting;
}

} // namespace

void rewrite(std::vector<text::Token>& tokens, text::Language language) {
    // "product" is what a shop calls any item (the glossary reads "Produkt", "producto" so too):
    // as a word of its own it was rare in the FAQ ("wrong product") and made "are your products
    // vegan?" a complaint about a wrong item.
    for (auto& token : tokens)
        if (token.word == "product" || token.word == "products")
            setWord(token, "item", language);
    frenchManageTo(tokens, language);
    // "I can't reach you", "can't get hold of you": the shop's team does not answer, as in "I can't
    // reach anyone" (the way to a person, not the opening hours "how can I reach you" asks for).
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto [from, you] = cantReachAt(tokens, i);
        if (from == std::string_view::npos)
            continue;
        if (tokens[i].word == "get" && tokens[i + 1].word == "through") // "get through to you"
            you = you < tokens.size() && tokens[you].word == "to" ? you + 1 : tokens.size();
        if (you < tokens.size() && !tokens[you].gram &&
            (tokens[you].word == "you" || tokens[you].word == "u"))
            setWord(tokens[you], "anyone", language);
    }
    // "... talk to someone about my refund": the shopper names a topic ("about it" names none).
    auto aboutFollows = [&](std::size_t i) {
        for (std::size_t j = i + 1; j < tokens.size(); ++j)
            if (tokens[j].word == "about" || tokens[j].word == "regarding")
                for (std::size_t k = j + 1; k < tokens.size(); ++k)
                    if (classify(tokens[k].word, language) != WordClass::Stop)
                        return classify(tokens[k].word, language) == WordClass::Content;
        return false;
    };
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        if (tokens[i].word == "us" && tokens[i - 1].word == "the")
            setWord(tokens[i], "usa", language);
        const auto& before = tokens[i - 1].word;
        // "my stuff", "my things": what the shopper ordered.
        if ((tokens[i].word == "stuff" || tokens[i].word == "things") && before == "my")
            setWord(tokens[i], "order", language);
        // "get here", "turn up", "show up": arrive. (Both words are filler on their own.)
        const auto& word = tokens[i].word;
        const bool getHere = (word == "here" || word == "there") &&
                             (before == "get" || before == "gets" || before == "getting" || before == "got");
        const bool turnUp =
            word == "up" && (before == "turn" || before == "turns" || before == "show" || before == "shows" ||
                             before == "showed" || before == "shown" || before == "turned");
        // "will it come by friday", "when's my parcel coming": arrive.
        const bool itComes = (word == "come" || word == "comes" || word == "coming") &&
                             (before == "it" || before == "they" || before == "order" || before == "parcel" ||
                              before == "package");
        // "still not here", "not here yet": not arrived.
        const bool notHere = word == "here" && (before == "not" || before == "isnt" || before == "arent");
        if (getHere || turnUp || itComes || notHere)
            setWord(itComes || notHere ? tokens[i] : tokens[i - 1], "arrive", language);
        // "call off the order", "call it off": cancel it.
        if (tokens[i].word == "off")
            for (std::size_t back = 1; back <= std::min<std::size_t>(i, 2); ++back)
                if (tokens[i - back].word == "call" || tokens[i - back].word == "calling")
                    setWord(tokens[i - back], "cancel", language);
        // "is it available", "is this available in blue": whether the item is in stock; "available"
        // alone is the team's ("when is support available").
        if (word == "available") {
            const std::size_t subject = before == "s" && i >= 2 ? i - 2 : i - 1;
            const auto& what = tokens[subject].word;
            if (what == "it" || what == "this" || what == "that" || what == "these" || what == "those")
                setWord(tokens[i], "stock", language);
        }
        // "when can I talk to someone", "what time could we speak to an agent": when a person can be
        // reached (the opening hours), not a request for one.
        if ((word == "talk" || word == "speak" || word == "chat") && i >= 3 &&
            (before == "i" || before == "we") &&
            (tokens[i - 2].word == "can" || tokens[i - 2].word == "could") &&
            (tokens[i - 3].word == "when" ||
             (tokens[i - 3].word == "time" && i >= 4 && tokens[i - 4].word == "what")) &&
            !aboutFollows(i))
            setWord(tokens[i], "reach", language);
        // "I would like to", "I'd like": a wish, like "want"; "like" of "I like it" stays a word.
        if (tokens[i].word == "like" && (before == "would" || before == "d" || before == "id"))
            setWord(tokens[i], "want", language);
    }
}

std::vector<char> declinedPerson(const std::vector<text::Token>& tokens,
                                 const std::vector<std::uint32_t>& clauseOf,
                                 const std::vector<char>& question, const std::vector<char>& person,
                                 text::Language language, std::optional<text::Language> also) {
    const Lists& l = lists();
    std::vector<char> out(tokens.size(), 0);
    bool why = false; // in this clause so far
    // The clauses that say someone was (not) reached, wherever the verb stands.
    std::vector<char> reach(clauseOf.empty() ? 0 : *std::max_element(clauseOf.begin(), clauseOf.end()) + 1,
                            0);
    for (std::size_t i = 0; i < tokens.size(); ++i)
        if (!tokens[i].gram && l.reach.contains(tokens[i].word))
            reach[clauseOf[i]] = 1;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0 && clauseOf[i] != clauseOf[i - 1])
            why = false;
        const auto& word = tokens[i].word;
        why = why || l.why.contains(word);
        if (tokens[i].gram || !l.refusals.contains(word) || why || question[i] || reach[clauseOf[i]])
            continue;
        if (i >= 2 && clauseOf[i - 2] == clauseOf[i] && l.modals.contains(tokens[i - 2].word) &&
            l.inverted.contains(tokens[i - 1].word))
            continue;
        std::size_t next = i + 1;
        if (next < tokens.size() && tokens[next].word == "t") // "don't" is "don" "t"
            ++next;
        if (next < tokens.size() && clauseOf[next] == clauseOf[i] &&
            (l.inverted.contains(tokens[next].word) ||
             (word == "no" && (tokens[next].word == "one" || tokens[next].word == "body"))))
            continue;
        bool declined = false;
        if (next < tokens.size() && clauseOf[next] == clauseOf[i] &&
            l.neededAfter.contains(tokens[next].word))
            for (std::size_t j = i; j-- > 0 && clauseOf[j] == clauseOf[i] && !tokens[j].gram;) {
                if (person[j]) {
                    out[j] = 1;
                    declined = true;
                    continue;
                }
                if (classify(tokens[j].word, language, also) != WordClass::Stop)
                    break;
            }
        for (std::size_t j = next; j < tokens.size() && clauseOf[j] == clauseOf[i] && !tokens[j].gram; ++j) {
            if (person[j]) {
                out[j] = 1;
                declined = true;
                continue;
            }
            const auto cls = classify(tokens[j].word, language, also);
            if ((cls == WordClass::Content && !l.wishes.contains(tokens[j].word)) ||
                cls == WordClass::Negation)
                break;
        }
        out[i] = declined;
    }
    return out;
}

bool asksForPerson(const std::vector<text::Token>& tokens, const std::vector<std::uint32_t>& clauseOf,
                   const std::vector<char>& person, const std::vector<char>& declined,
                   text::Language language, std::optional<text::Language> also) {
    auto cls = [&](std::size_t i) { return classify(tokens[i].word, language, also); };
    auto wanted = [&](std::size_t i) { return person[i] && (declined.empty() || !declined[i]); };
    // A wish ("want", "would like" is read as "want") or a bidding ("get me", "put me through") and
    // then a person, with only function words between: "I'd like to talk to someone".
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const auto& w = tokens[i].word;
        const bool wish = w == "want" || w == "wanna";
        const bool bidding = (w == "get" || w == "put" || w == "connect" || w == "transfer" || w == "pass") &&
                             i + 1 < tokens.size() && tokens[i + 1].word == "me" &&
                             clauseOf[i + 1] == clauseOf[i];
        if (tokens[i].gram || (!wish && !bidding))
            continue;
        for (std::size_t j = i + 1; j < tokens.size() && clauseOf[j] == clauseOf[i] && !tokens[j].gram; ++j) {
            if (wanted(j))
                return true;
            if (person[j] || cls(j) != WordClass::Stop)
                break;
        }
    }
    // Nothing else about something beside tokens [from, to]: the shopper waits for a person now.
    auto alone = [&](std::size_t from, std::size_t to) {
        for (std::size_t j = 0; j < tokens.size(); ++j)
            if ((j < from || j > to) && (tokens[j].gram || cls(j) == WordClass::Content ||
                                         cls(j) == WordClass::Weak || cls(j) == WordClass::Negation))
                return false;
        return true;
    };
    // "I can't reach anyone", like "ich erreiche keinen Mitarbeiter": no person answers now, whatever
    // else the message tells ("I called twice and ...", "... on the phone"), unless it says when
    // ("I can't reach anyone on sunday" asks about the hours) or asks or denies something else
    // ("..., where is my order?", "... and my order hasn't arrived"), which the ranking weighs
    // without the complaint's words (unansweredReach).
    auto nobodyAnswers = [&](std::size_t from, std::size_t to) {
        for (std::size_t j = 0; j < tokens.size(); ++j)
            if ((j < from || j > to) && (tokens[j].gram || cls(j) == WordClass::Weak ||
                                         cls(j) == WordClass::Negation || saysWhen(tokens, j)))
                return false;
        return true;
    };
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        const auto [from, after] = cantReachAt(tokens, i);
        if (from == std::string_view::npos)
            continue;
        for (std::size_t j = after; j < tokens.size() && clauseOf[j] == clauseOf[i] && !tokens[j].gram; ++j) {
            if (wanted(j) && nobodyAnswers(from, j))
                return true;
            if (person[j] || cls(j) != WordClass::Stop)
                break;
        }
    }
    // "is anyone there?" on its own: the shopper waits for a person now ("is anyone there on
    // sunday" asks about the hours).
    for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
        const auto& who = tokens[i + 1].word;
        if ((tokens[i].word == "is" || tokens[i].word == "are") &&
            (who == "anyone" || who == "anybody" || who == "someone" || who == "somebody") &&
            tokens[i + 2].word == "there")
            return alone(i, i + 2) && wanted(i + 1);
    }
    return false;
}

std::vector<char> unansweredReach(const std::vector<text::Token>& tokens,
                                  const std::vector<std::uint32_t>& clauseOf, const std::vector<char>& person,
                                  text::Language language, std::optional<text::Language> also) {
    std::vector<char> out(tokens.size(), 0);
    for (std::size_t j = 0; j < tokens.size(); ++j)
        if (saysWhen(tokens, j))
            return out; // "I can't reach anyone on sunday": when the team is there
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        const auto [from, after] = cantReachAt(tokens, i);
        if (from == std::string_view::npos)
            continue;
        for (std::size_t j = after; j < tokens.size() && clauseOf[j] == clauseOf[i] && !tokens[j].gram; ++j) {
            if (person[j]) { // the whole complaint, "can't" to "anyone"
                std::fill(out.begin() + static_cast<std::ptrdiff_t>(from),
                          out.begin() + static_cast<std::ptrdiff_t>(j + 1), 1);
                break;
            }
            if (classify(tokens[j].word, language, also) != WordClass::Stop)
                break;
        }
    }
    return out;
}

bool asksIfBot(const std::vector<text::Token>& tokens, const std::vector<std::uint32_t>& clauseOf,
               text::Language language, std::optional<text::Language> also, std::vector<char>* words) {
    const Lists& l = lists();
    constexpr std::size_t kReach = 6; // words after "are you" to the bot or the person
    auto word = [&](std::size_t i) -> std::string_view {
        if (tokens[i].gram)
            return {};
        return tokens[i].word;
    };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!l.be.contains(word(i)))
            continue;
        const bool sameAfter = i + 1 < tokens.size() && clauseOf[i + 1] == clauseOf[i];
        const bool about = l.beYou.contains(word(i)) || (sameAfter && l.askedAbout.contains(word(i + 1))) ||
                           (i > 0 && clauseOf[i - 1] == clauseOf[i] && l.askedAbout.contains(word(i - 1)));
        if (!about)
            continue;
        for (std::size_t j = i + 1; j < tokens.size() && j <= i + kReach && clauseOf[j] == clauseOf[i]; ++j) {
            const auto w = word(j);
            // A word for a bot or a person, or "real" at the end of the clause ("are you real?").
            if (l.botOrPerson.contains(w) ||
                (w == "real" && (j + 1 == tokens.size() || clauseOf[j + 1] != clauseOf[j]))) {
                if (words) {
                    words->assign(tokens.size(), 0);
                    std::fill(words->begin() + static_cast<std::ptrdiff_t>(i),
                              words->begin() + static_cast<std::ptrdiff_t>(j + 1), 1);
                }
                return true;
            }
            if (!l.askedAbout.contains(w) && !l.between.contains(w) &&
                classify(w, language, also) != WordClass::Stop)
                break;
        }
    }
    return false;
}

void translate(std::vector<text::Token>& tokens, text::Language language) {
    if (language != text::Language::English)
        return;
    const auto& words = glossary();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].gram)
            continue;
        const auto it = words.find(tokens[i].word);
        if (it == words.end())
            continue;
        auto english = text::tokenize(it->second, language); // one word may stand for two
        tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(i));
        tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(i), english.begin(), english.end());
        i += english.size() - 1;
    }
}

std::vector<std::string_view> otherTopicPhrases() {
    return {"subscription",
            "subscribe",
            "unsubscribe",
            "newsletter",
            "membership",
            "warranty",
            "guarantee",
            "repair",
            "spare part",
            "spare parts",
            "replacement part",
            "discount",
            "discount code",
            "promo code",
            "coupon",
            "voucher",
            "gift card",
            "gift voucher",
            "price",
            "prices",
            "cost",
            "costs",
            "cheaper",
            "sale",
            "in stock",
            "out of stock",
            "sold out",
            "restock",
            "back in stock",
            "available in",
            "account",
            "password",
            "log in",
            "login",
            "sign in",
            "email address",
            "my email",
            "profile",
            "declined",
            "payment failed",
            "payment failing",
            "charged twice",
            "double charged",
            "error",
            "website",
            "site",
            "app",
            "bug",
            "not loading",
            "crashes",
            "review",
            "bulk order",
            "job",
            "jobs",
            "career",
            "hiring",
            "allergy",
            "allergies",
            "gluten",
            "caffeine",
            "recipe",
            "grind size",
            "brew",
            "brewing",
            "how to use",
            "manual",
            "instructions",
            "carbon footprint",
            "sustainable",
            "organic",
            "fair trade",
            "loyalty",
            "points",
            "rewards",
            "referral"};
}

std::vector<std::string_view> handoffPhrases() {
    // Shoppers ask for a person in their own language, whatever the shop's: all of them apply.
    return {// English
            "agent", "live agent", "human", "real human", "human being", "person", "real person",
            "actual person", "someone", "somebody", "anyone", "representative", "operator", "staff",
            "employee", "live chat", "customer service", "talk to someone", "speak to someone",
            "talk to a person", "speak to a human", "talk", "speak", "call me", "manager", "supervisor",
            "rep", "live rep", "transfer me to support", "transfer me to someone", "connect me", "anybody",
            "anybody real", "anyone real", "someone real", "somebody real", "a real one", "colleague",
            "colleagues", "put me through", "pass me to", "put me in touch", "in touch with a person",
            // asking to take it higher is asking for a person
            "escalate", "escalation", "complaint to a manager",
            // German
            "mitarbeiter", "mitarbeiterin", "mensch", "echter mensch", "echte person", "jemand", "jemandem",
            "berater", "beraterin", "kundendienst", "kundenservice", "kundenbetreuung", "sprechen", "reden",
            // French
            "humain", "personne", "vraie personne", "conseiller", "conseillere", "quelqu un", "operateur",
            "service client", "parler", "joindre quelqu un",
            // Spanish
            "agente", "humano", "persona", "persona real", "alguien", "asesor", "operador", "representante",
            "atencion al cliente", "servicio al cliente", "hablar",
            // Italian, Portuguese, Dutch, Polish
            "operatore", "persona reale", "qualcuno", "parlare", "assistenza clienti", "atendente",
            "pessoa real", "alguem", "falar", "medewerker", "iemand", "klantenservice", "spreken",
            "konsultant", "konsultantem", "konsultanta", "czlowiek", "czlowiekiem", "pracownik",
            "porozmawiac", "rozmawiac", "obsluga klienta",
            // Russian
            "оператор", "человек", "живой человек", "менеджер", "сотрудник", "консультант", "поговорить",
            "соедините", "позовите"};
}

} // namespace parley::server::lexicon
