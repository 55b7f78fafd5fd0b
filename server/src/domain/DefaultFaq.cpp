#include "domain/DefaultFaq.h"

namespace parley::server {

std::vector<protocol::FaqEntry> defaultFaq() {
    int order = 0;
    auto entry = [&order](const char* slug, const char* q, const char* a, const char* keywords) {
        order += 10;
        return protocol::FaqEntry{slug, q, a, order, true, keywords};
    };
    return {
        entry("shipping-times", "How long does shipping take?",
              "Orders placed before 2 pm (Monday to Friday) leave our warehouse the same day. Standard "
              "delivery takes 2-4 business days, express delivery 1-2 business days. You'll get an email "
              "with your tracking link as soon as your parcel ships.",
              "delivery time, shipping time, delivery days, how long delivery, how long does it take, how "
              "long will it take, when will it arrive, when will I get it, when will I receive it, when does "
              "it ship, when do you ship, dispatch, dispatch time, leave the warehouse, processing time, how "
              "fast, how quickly, how soon, express delivery, express shipping, standard delivery, standard "
              "shipping, next day delivery, same day, business days, estimated delivery, delivery estimate, "
              "when will it come, when will it be delivered, arrival time, how many days, lead time, ETA, "
              "waiting time, send out, sent out, shipping speed, delivery speed, how quick is delivery, "
              "fast delivery, quick delivery, overnight, overnight shipping, express, get here, "
              "show up, expect it, when should I expect, get to me, be here by, in time for, make it in "
              "time, before the weekend, ship today, go out today, cut-off time, cutoff, "
              "same day dispatch, how long to deliver, takes to deliver, delivery takes"),
        entry("order-tracking", "Where is my order? How do I track it?",
              "Use the tracking link in your shipping confirmation email, or sign in and open My account > "
              "Orders to see the live status. If the tracking hasn't moved for 3 business days, talk to an "
              "agent and we'll chase the carrier for you.",
              "track, tracking, tracking number, tracking link, tracking code, tracking not updated, "
              "tracking hasn't moved, no update, where is my parcel, where is my package, where is my "
              "delivery, order status, delivery status, shipment status, status of my order, not arrived, "
              "hasn't arrived yet, never arrived, didn't receive my order, waiting for my order, lost "
              "parcel, lost package, missing parcel, parcel stuck, says delivered, carrier, courier, DHL, "
              "UPS, DPD, GLS, Hermes, where is my shipment, late, delayed, delay, overdue, hasn't come, "
              "never came, no sign of my order, where is it, where's my order, "
              "where's my package, any news on my order, any update, update on my order, still waiting, "
              "been waiting, not here yet, hasn't turned up, supposed to come, should have arrived, "
              "expected yesterday, label created, tracking not working, tracking doesn't work, track my "
              "order, track my "
              "parcel, my coffee hasn't arrived, package not received"),
        entry(
            "returns", "How do I return an item?",
            "You can return unused items in their original packaging within 30 days of delivery. Start a "
            "return from My account > Orders > Return items, print the prepaid label and drop the parcel "
            "at any post office. Returns are free within the country.",
            "return, send back, send it back, give it back, bring back, take it back, return policy, returns "
            "policy, return label, return form, return address, return window, days to return, free returns, "
            "return shipping, return costs, exchange, swap, don't want it anymore, doesn't fit, unwanted "
            "item, unused item, return it, how to return, return process, return request, returning, "
            "return something, return an item, return postage, postage for returns, return fee, pay for "
            "return, sealed, unopened, unopened bag, changed my mind, no longer need, don't need it, "
            "don't like it, exchange it, get the right one, bought the wrong, ordered the wrong size, "
            "return a gift, returns work"),
        entry("refunds", "When will I get my refund?",
              "We refund your money within 5 business days after your return arrives at our warehouse, to "
              "the payment method you used. Banks can take another 3-5 days to show it on your statement.",
              "refund, refunded, money back, get my money back, pay me back, reimburse, reimbursement, "
              "refund status, refund not received, when will I be refunded, how long refund, refund to my "
              "card, credit back, store credit, repayment, chargeback, refund time, refund processed, refund "
              "amount, when do I get my refund, paid back, get paid back, my money, no money yet, haven't "
              "received my money, haven't seen any money, refund timeline, still no refund, statement, "
              "you received my return, my return arrived, refunds work"),
        entry(
            "payment-methods", "Which payment methods do you accept?",
            "We accept Visa, Mastercard, American Express, PayPal, Apple Pay, Google Pay and bank transfer. "
            "Your card is charged only when your order ships.",
            "pay, payment, payment options, how can I pay, pay by card, credit card, debit card, Visa, "
            "Mastercard, Maestro, Amex, American Express, PayPal, Apple Pay, Google Pay, bank transfer, wire "
            "transfer, Klarna, invoice, pay later, instalments, installments, cash, cash on delivery, "
            "bitcoin, when is my card charged, when will I be charged, pay with, payment methods, accepted "
            "payment, checkout payment, which cards, cards do you accept, do you take, card types, "
            "accept card, payment options at checkout, take the money, charge my card, charged right away, "
            "charged now or later"),
        entry("change-address", "Can I change my delivery address?",
              "Yes, as long as your order hasn't shipped: open My account > Orders and choose Edit address, "
              "or talk to an agent with your order number. Once a parcel is on its way, the carrier's "
              "tracking page lets you redirect it to a pickup point.",
              "change address, wrong address, incorrect address, edit address, update address, update my "
              "address, new address, different address, another address, correct my address, typo in my "
              "address, misspelled address, I moved, send it somewhere else, somewhere else, elsewhere, "
              "address change, redirect, "
              "redirect parcel, pickup point, parcel shop, delivery address, shipping address, postcode, "
              "post code, zip code, street name, house number, flat number, apartment number, address is "
              "wrong, address incomplete, deliver to my work, work address, office address, to my office, "
              "neighbour, neighbor, moving house, new place, billing address, where my order is delivered, "
              "change the delivery, send it to, deliver it to, deliver to a different, home address, instead "
              "of home, deliver there instead, edit where it goes"),
        entry("cancel-order", "How do I cancel my order?",
              "Orders can be cancelled free of charge until they ship: open My account > Orders and choose "
              "Cancel order. If the button is gone your order is already packed; refuse the delivery or "
              "return it within 30 days instead.",
              "cancel, cancellation, cancel order, cancel my order, stop my order, stop the order, withdraw "
              "my order, undo my order, ordered by mistake, ordered by accident, ordered twice, duplicate "
              "order, too late to cancel, cancel it, "
              "no longer want, changed my mind, found it cheaper, want to cancel, need to cancel, cancel "
              "please"),
        entry("international-shipping", "Do you ship internationally?",
              "We ship to the EU, the UK, Switzerland, Norway, the US and Canada. International delivery "
              "takes 4-10 business days; duties and taxes for non-EU countries are shown at checkout.",
              "international, internationally, abroad, overseas, worldwide, outside the EU, non-EU, other "
              "countries, which countries, foreign countries, customs, duties, import taxes, import fees, "
              "VAT, United Kingdom, UK, Britain, England, Scotland, Ireland, USA, United States, America, "
              "Canada, Mexico, Switzerland, Norway, Sweden, Denmark, Finland, Iceland, Germany, Austria, "
              "France, Italy, Spain, Portugal, Netherlands, Belgium, Poland, Australia, New Zealand, Japan, "
              "China, Singapore, Europe, ship to, do you ship to, deliver to, other country, another "
              "country, the states, US, Argentina, Chile, India, South Africa, Israel, "
              "Turkey, Greece, Czech Republic, Hungary, Romania, Korea, Hong Kong, Taiwan, UAE, Dubai, "
              "Toronto, Vancouver, Sydney, Melbourne, London, New York, order from abroad, from outside, "
              "international delivery, international orders, send a package abroad"),
        entry(
            "damaged-item", "My item arrived damaged or wrong. What now?",
            "We're sorry! Send us a photo of the item and the packaging within 14 days and we'll ship a "
            "replacement or refund you in full, without asking you to return a broken item. Talk to an "
            "agent to start.",
            "damaged, damage, broken, broke, arrived broken, cracked, chipped, crushed, shattered, smashed, "
            "dented, scratched, leaking, torn, ruined, defective, faulty, doesn't work, not working, stopped "
            "working, wrong item, wrong product, wrong colour, wrong color, wrong size, received the wrong, "
            "sent the wrong, missing item, item missing, incomplete order, mix up, bent, stained, spilled, "
            "leaked, missing parts, defect, malfunction, damaged in transit, damaged in shipping, ripped, "
            "ripped open, dent, dents, snapped, snapped off, cracks, chips, doesn't turn on, won't turn "
            "on, won't work, dead on arrival, weird noise, makes a noise, missing from the "
            "box, missing from my order, wrong roast, sent me "
            "the wrong, got the wrong, instead of what I ordered, mouldy, moldy, opened bag, "
            "damaged box, crushed box, glass broken"),
        entry("contact-hours", "What are your opening times? When can I reach a person?",
              "Our support team is here Monday to Friday 8:00-20:00 and Saturday 9:00-17:00 (CET). Outside "
              "these hours leave your message here and we'll answer as soon as we're back; you can also "
              "email support@example-shop.test.",
              "opening hours, opening times, business hours, service hours, office hours, support hours, "
              "customer service hours, when are you open, are you open, open today, open now, weekend, "
              "Saturday, Sunday, public holidays, closed, when can I reach you, contact, contact you, "
              "contact details, email, e-mail address, hours, closing time, "
              "get in touch, reach you, staffed, chat staffed, support "
              "available, when are you available, customer support hours, anyone there, someone "
              "available, open on sunday, open on weekends, open on "
              "holidays, how late, until when, what time do you close"),
    };
}

} // namespace parley::server
