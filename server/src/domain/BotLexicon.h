#pragma once
// The bot's word lists: what never counts as a topic (stop words, filler, politeness), what
// counts a little (question words), greetings, thanks, and the phrases that ask for a person.
// Words are folded (domain/TextMatcher: lower case, no accents) and compared before stemming.
// English always applies (shoppers write English to shops in any language); German, French and
// Spanish add theirs when they are the shop's language or the one a message is written in; the
// function words of Italian, Dutch, Polish and Portuguese, of Russian and of Greek always apply.
// Greetings and thanks are recognised in all of them.

#include "domain/TextMatcher.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::server::lexicon {

enum class WordClass {
    Content,  // what a question is about
    Weak,     // question words ("when", "where"): count, but little
    Negation, // "not", "hasn't", "nicht": counts as little, and all of them as the one term "not"
    Stop,     // never matches: function words, filler, politeness
    Greeting, // "hi", "hallo", "bonjour"
    Thanks,   // "thanks", "merci", "bye"
};

// Which other of the four languages a text is written in, going by its function words ("ich
// möchte", "je voudrais"), when that is neither English nor the shop's: its lists apply as well.
std::optional<text::Language> writtenIn(const std::vector<text::Token>& tokens, text::Language shop);

WordClass classify(std::string_view foldedWord, text::Language language,
                   std::optional<text::Language> also = std::nullopt);

// "morning", "afternoon", "evening": a greeting only at the start of a message or after "good".
bool timeOfDay(std::string_view foldedWord);

// A word that begins a new clause ("but", "because", "aber"): a long message is read clause by
// clause as well as whole.
bool startsClause(std::string_view foldedWord);

// A word the FAQ does not know that is a function word with a typo ("dose", "teh", "wat"): one
// letter swapped with the next, left out or (from five letters) doubled. ASCII words only.
bool misspelledFunctionWord(std::string_view foldedWord, text::Language language);

// Reads what single words cannot tell: "the US" is the country, not "us"; "would like" is "want";
// "my stuff" is the order; "call off" is "cancel"; "get here", "turn up", "it comes" are "arrive";
// "product" is "item"; "is it available" is "stock" (the item's, not the team's availability);
// "when can I talk to" is "when can I reach" (when a person can be reached, not a request for one),
// unless "about" and a topic follow ("... about my refund");
// French "je n'arrive pas à joindre" is "I can't reach" ("arriver à" + infinitive: manage to), and
// the "vous" of "je n'arrive pas à vous joindre" is "quelqu'un" (nobody of the shop answers), as
// the "you" of "I can't reach you", "can't get hold of you" is "anyone".
void rewrite(std::vector<text::Token>& tokens, text::Language language);

// What shoppers often ask a shop besides orders and delivery, in plain English phrases: a
// subscription, a warranty, discount codes, gift cards, prices and stock, an account or password,
// a payment that failed, the website. FaqIndex keeps the ones the shop's FAQ has no words for, as a
// pseudo entry that never answers but that an entry must beat by the margin.
std::vector<std::string_view> otherTopicPhrases();

// A shop whose FAQ is in English still hears from shoppers in their own languages: their shop words
// (Italian, Dutch, Polish and Portuguese as well as German, French and Spanish) are read as the
// English ones ("paket" -> "parcel", "rückerstattung" -> "refund"), from a small built-in glossary
// of order, delivery, return, payment and contact words. Does nothing for a shop in another
// language. Applied to each piece of text before anything else reads its words.
void translate(std::vector<text::Token>& tokens, text::Language language);
const std::unordered_map<std::string_view, std::string_view>& glossary(); // BotGlossary.cpp

// Which tokens turn a request for a person down ("I don't need an agent", "no need for a human",
// "kein Mitarbeiter nötig", "ich brauche keinen Mitarbeiter", "je n'ai pas besoin d'un agent",
// "non ho bisogno di un operatore", "no hace falta un agente", "не нужен оператор", and "оператор
// не нужен" backwards): a negation of wanting or needing and the person words after it in its
// clause, up to the first other word that is about something ("besoin", "envie", "hace falta" are
// the wish itself). Nothing where the shopper still
// asks: a question ("can't I talk to a human?", "don't you have a real person", "why can't I
// reach a person", "is there no human?"), "nobody", or what cannot be done ("I can't reach
// anyone", "ich habe keinen Mitarbeiter erreicht"). clauseOf: each token's clause; question: the token's
// sentence ends with "?"; person: the token is a word of a request for a person. Returns a flag per token.
std::vector<char> declinedPerson(const std::vector<text::Token>& tokens,
                                 const std::vector<std::uint32_t>& clauseOf,
                                 const std::vector<char>& question, const std::vector<char>& person,
                                 text::Language language, std::optional<text::Language> also);

// Whether the message asks for a person outright, not about when one can be reached: a wish or a
// bidding and then a person word with only function words between ("I want a person", "I'd like
// to talk to someone", "get me a human", "put me through to someone"), or "is anyone there?" with
// nothing else that is about something, or "I can't reach (get hold of) anyone" unless the message says when
// ("on sunday", "after 6pm"), asks ("where") or denies something else. declined: lexicon::declinedPerson's
// flags (may be empty).
bool asksForPerson(const std::vector<text::Token>& tokens, const std::vector<std::uint32_t>& clauseOf,
                   const std::vector<char>& person, const std::vector<char>& declined,
                   text::Language language, std::optional<text::Language> also);

// The words of "I can't reach anyone" ("can't get through to", "... get hold of"), from the
// negation to the person, in a message that does not say when: a complaint that nobody answers,
// which asks neither when a person can be reached nor, beside a question of its own, for a person.
// FaqIndex ranks the rest of the message without them where asksForPerson does not hold ("I can't
// reach anyone, where is my order?" is about the order, not the opening hours). A flag per token.
std::vector<char> unansweredReach(const std::vector<text::Token>& tokens,
                                  const std::vector<std::uint32_t>& clauseOf, const std::vector<char>& person,
                                  text::Language language, std::optional<text::Language> also);

// Whether the message asks if the shopper is talking to a bot or a person: "are you a bot?", "is
// this a real person?", "am I talking to a robot", "are you human", "bist du ein Bot?". A form of
// "to be" with "you", "this", "it" (or "I" ... "talking to") and, after it with only function
// words between, a word for a bot or a person. "is there a real person?" asks for one instead.
// words (when given and it asks): a flag per token of the bot question, "are you a bot", so that
// the rest of the message can be read on its own ("where is my order? are you a bot?").
bool asksIfBot(const std::vector<text::Token>& tokens, const std::vector<std::uint32_t>& clauseOf,
               text::Language language, std::optional<text::Language> also,
               std::vector<char>* words = nullptr);

// Phrases that ask for a person, in English, German, French and Spanish whatever the
// shop's language, in plain words: the FAQ index analyses them like keywords of a pseudo entry,
// so "talk to a person" beats an entry that only mentions a person, and "When can I reach a
// person?" still finds the entry that asks exactly that.
std::vector<std::string_view> handoffPhrases();

} // namespace parley::server::lexicon
