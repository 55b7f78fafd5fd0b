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
              "waiting time, send out, sent out"),
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
              "never came, didn't get my order, no sign of my order"),
        entry(
            "returns", "How do I return an item?",
            "You can return unused items in their original packaging within 30 days of delivery. Start a "
            "return from My account > Orders > Return items, print the prepaid label and drop the parcel "
            "at any post office. Returns are free within the country.",
            "return, send back, send it back, give it back, bring back, take it back, return policy, returns "
            "policy, return label, return form, return address, return window, days to return, free returns, "
            "return shipping, return costs, exchange, swap, don't want it anymore, doesn't fit, unwanted "
            "item, unused item, return it, how to return, return process, return request, returning"),
        entry("refunds", "When will I get my refund?",
              "We refund your money within 5 business days after your return arrives at our warehouse, to "
              "the payment method you used. Banks can take another 3-5 days to show it on your statement.",
              "refund, refunded, money back, get my money back, pay me back, reimburse, reimbursement, "
              "refund status, refund not received, when will I be refunded, how long refund, refund to my "
              "card, credit back, store credit, repayment, chargeback, refund time, refund processed, refund "
              "amount, when do I get my refund"),
        entry(
            "payment-methods", "Which payment methods do you accept?",
            "We accept Visa, Mastercard, American Express, PayPal, Apple Pay, Google Pay and bank transfer. "
            "Your card is charged only when your order ships.",
            "pay, payment, payment options, how can I pay, pay by card, credit card, debit card, Visa, "
            "Mastercard, Maestro, Amex, American Express, PayPal, Apple Pay, Google Pay, bank transfer, wire "
            "transfer, Klarna, invoice, pay later, instalments, installments, cash, cash on delivery, "
            "bitcoin, when is my card charged, when will I be charged, pay with, payment methods, accepted "
            "payment, checkout payment"),
        entry("change-address", "Can I change my delivery address?",
              "Yes, as long as your order hasn't shipped: open My account > Orders and choose Edit address, "
              "or talk to an agent with your order number. Once a parcel is on its way, the carrier's "
              "tracking page lets you redirect it to a pickup point.",
              "change address, wrong address, incorrect address, edit address, update address, update my "
              "address, new address, different address, another address, correct my address, typo in my "
              "address, misspelled address, I moved, send it somewhere else, somewhere else, elsewhere, "
              "address change, redirect, "
              "redirect parcel, pickup point, parcel shop, delivery address, shipping address"),
        entry("cancel-order", "How do I cancel my order?",
              "Orders can be cancelled free of charge until they ship: open My account > Orders and choose "
              "Cancel order. If the button is gone your order is already packed; refuse the delivery or "
              "return it within 30 days instead.",
              "cancel, cancellation, cancel order, cancel my order, stop my order, stop the order, withdraw "
              "my order, undo my order, ordered by mistake, ordered by accident, ordered twice, duplicate "
              "order, too late to cancel"),
        entry("international-shipping", "Do you ship internationally?",
              "We ship to the EU, the UK, Switzerland, Norway, the US and Canada. International delivery "
              "takes 4-10 business days; duties and taxes for non-EU countries are shown at checkout.",
              "international, internationally, abroad, overseas, worldwide, outside the EU, non-EU, other "
              "countries, which countries, foreign countries, customs, duties, import taxes, import fees, "
              "VAT, United Kingdom, UK, Britain, England, Scotland, Ireland, USA, United States, America, "
              "Canada, Mexico, Switzerland, Norway, Sweden, Denmark, Finland, Iceland, Germany, Austria, "
              "France, Italy, Spain, Portugal, Netherlands, Belgium, Poland, Australia, New Zealand, Japan, "
              "China, Singapore, Europe"),
        entry(
            "damaged-item", "My item arrived damaged or wrong. What now?",
            "We're sorry! Send us a photo of the item and the packaging within 14 days and we'll ship a "
            "replacement or refund you in full, without asking you to return a broken item. Talk to an "
            "agent to start.",
            "damaged, damage, broken, broke, arrived broken, cracked, chipped, crushed, shattered, smashed, "
            "dented, scratched, leaking, torn, ruined, defective, faulty, doesn't work, not working, stopped "
            "working, wrong item, wrong product, wrong colour, wrong color, wrong size, received the wrong, "
            "sent the wrong, missing item, item missing, incomplete order, mix up, bent, stained, spilled, "
            "leaked, missing parts, defect, malfunction, damaged in transit, damaged in shipping"),
        entry("contact-hours", "What are your opening times? When can I reach a person?",
              "Our support team is here Monday to Friday 8:00-20:00 and Saturday 9:00-17:00 (CET). Outside "
              "these hours leave your message here and we'll answer as soon as we're back; you can also "
              "email support@example-shop.test.",
              "opening hours, opening times, business hours, service hours, office hours, support hours, "
              "customer service hours, when are you open, are you open, open today, open now, weekend, "
              "Saturday, Sunday, public holidays, closed, when can I reach you, contact, contact you, "
              "contact details, email, e-mail address, phone, phone number, call you, hours, closing time, "
              "get in touch, reach you, when can I call"),
    };
}

} // namespace parley::server
