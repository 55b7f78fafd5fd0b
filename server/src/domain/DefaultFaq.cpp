#include "domain/DefaultFaq.h"

namespace parley::server {

std::vector<protocol::FaqEntry> defaultFaq() {
    int order = 0;
    auto entry = [&order](const char* slug, const char* q, const char* a) {
        order += 10;
        return protocol::FaqEntry{slug, q, a, order, true};
    };
    return {
        entry("shipping-times", "How long does shipping take?",
              "Orders placed before 2 pm (Monday to Friday) leave our warehouse the same day. Standard "
              "delivery takes 2-4 business days, express delivery 1-2 business days. You'll get an email "
              "with your tracking link as soon as your parcel ships."),
        entry("order-tracking", "Where is my order? How do I track it?",
              "Use the tracking link in your shipping confirmation email, or sign in and open My account > "
              "Orders to see the live status. If the tracking hasn't moved for 3 business days, talk to an "
              "agent and we'll chase the carrier for you."),
        entry("returns", "How do I return an item?",
              "You can return unused items in their original packaging within 30 days of delivery. Start a "
              "return from My account > Orders > Return items, print the prepaid label and drop the parcel "
              "at any post office. Returns are free within the country."),
        entry("refunds", "When will I get my refund?",
              "We refund your money within 5 business days after your return arrives at our warehouse, to "
              "the payment method you used. Banks can take another 3-5 days to show it on your statement."),
        entry(
            "payment-methods", "Which payment methods do you accept?",
            "We accept Visa, Mastercard, American Express, PayPal, Apple Pay, Google Pay and bank transfer. "
            "Your card is charged only when your order ships."),
        entry("change-address", "Can I change my delivery address?",
              "Yes, as long as your order hasn't shipped: open My account > Orders and choose Edit address, "
              "or talk to an agent with your order number. Once a parcel is on its way, the carrier's "
              "tracking page lets you redirect it to a pickup point."),
        entry("cancel-order", "How do I cancel my order?",
              "Orders can be cancelled free of charge until they ship: open My account > Orders and choose "
              "Cancel order. If the button is gone your order is already packed; refuse the delivery or "
              "return it within 30 days instead."),
        entry("international-shipping", "Do you ship internationally?",
              "We ship to the EU, the UK, Switzerland, Norway, the US and Canada. International delivery "
              "takes 4-10 business days; duties and taxes for non-EU countries are shown at checkout."),
        entry("damaged-item", "My item arrived damaged or wrong. What now?",
              "We're sorry! Send us a photo of the item and the packaging within 14 days and we'll ship a "
              "replacement or refund you in full, without asking you to return a broken item. Talk to an "
              "agent to start."),
        entry("contact-hours", "What are your opening times? When can I reach a person?",
              "Our support team is here Monday to Friday 8:00-20:00 and Saturday 9:00-17:00 (CET). Outside "
              "these hours leave your message here and we'll answer as soon as we're back; you can also "
              "email support@example-shop.test."),
    };
}

} // namespace parley::server
