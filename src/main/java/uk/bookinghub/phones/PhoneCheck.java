package uk.bookinghub.phones;

/**
 * What a phone number is: E.164 and class when valid, else why not.
 *
 * @param e164       normalised number, null when invalid
 * @param type       mobile, fixed_line, fixed_line_or_mobile, freephone, premium_rate, personal,
 *                   shared_cost, voip, uan, pager, voicemail, unknown; "invalid" when invalid
 * @param region     ISO region of the number (GB, US, ...), null when invalid
 * @param reason     why it is invalid (too short, too long, invalid for region, reserved for drama, ...)
 * @param smsCapable mobiles only: landlines and service numbers do not take texts
 * @param dialable   false for premium-rate and personal (070) numbers: stored, never called
 */
public record PhoneCheck(String e164, String type, String region, String reason, boolean smsCapable, boolean dialable) {

    public boolean valid() {
        return e164 != null;
    }

    static PhoneCheck invalid(String reason) {
        return new PhoneCheck(null, "invalid", null, reason, false, false);
    }
}
