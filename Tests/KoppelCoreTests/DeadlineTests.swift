import KoppelCore
import Testing

@Suite("Working days and deadlines")
struct DeadlineTests {
    func day(_ text: String) -> Day { Day(text)! }

    @Test("a day counts to and from its ordinal, and knows its weekday")
    func days() {
        for text in ["1970-01-01", "2000-02-29", "2026-12-06", "2040-12-31", "1583-01-01"] {
            #expect(Day(ordinal: day(text).ordinal) == day(text))
            #expect(day(text).description == text)
        }
        #expect(day("2026-12-06").weekday == 7, "a Sunday")
        #expect(day("2026-12-07").weekday == 1, "a Monday")
        #expect(day("2024-02-28").adding(days: 1) == day("2024-02-29"))
        #expect(day("2025-02-28").adding(days: 1) == day("2025-03-01"))
        #expect(Day("2026-02-30") == nil && Day("26-01-01") == nil)
    }

    @Test("Easter and the feasts that follow it")
    func easter() {
        #expect(PublicHolidays.easterSunday(in: 2024) == day("2024-03-31"))
        #expect(PublicHolidays.easterSunday(in: 2025) == day("2025-04-20"))
        #expect(PublicHolidays.easterSunday(in: 2026) == day("2026-04-05"))
        #expect(PublicHolidays.easterSunday(in: 2038) == day("2038-04-25"), "the latest possible")
        let dutch2026 = PublicHolidays.days(in: 2026, country: .netherlands)
        #expect(dutch2026.isSuperset(of: [day("2026-04-03"), day("2026-04-06"), day("2026-05-14"), day("2026-05-25")]))
    }

    @Test("Koningsdag moves to the 26th when the 27th is a Sunday; Bevrijdingsdag is a day off in lustrum years")
    func dutchSpecials() {
        #expect(PublicHolidays.days(in: 2025, country: .netherlands).contains(day("2025-04-26")))
        #expect(!PublicHolidays.days(in: 2025, country: .netherlands).contains(day("2025-04-27")))
        #expect(PublicHolidays.days(in: 2026, country: .netherlands).contains(day("2026-04-27")))
        #expect(PublicHolidays.days(in: 2025, country: .netherlands).contains(day("2025-05-05")))
        #expect(!PublicHolidays.days(in: 2026, country: .netherlands).contains(day("2026-05-05")))
        #expect(!PublicHolidays.days(in: 2026, country: .belgium).contains(day("2026-04-27")), "not in Belgium")
        #expect(PublicHolidays.days(in: 2026, country: .belgium).isSuperset(of: [day("2026-07-21"), day("2026-11-11"), day("2026-05-01")]))
    }

    @Test("five working days skip the weekend and the Easter holidays of the programme's country")
    func workingDays() {
        // Thursday before Easter 2026: Good Friday and Easter Monday are Dutch holidays; Belgium keeps only Easter Monday.
        #expect(WorkingDays(country: .netherlands).adding(5, to: day("2026-04-02")) == day("2026-04-13"))
        #expect(WorkingDays(country: .belgium).adding(5, to: day("2026-04-02")) == day("2026-04-10"))
        #expect(WorkingDays(country: nil).adding(5, to: day("2026-04-02")) == day("2026-04-09"))
        // Filed on a Saturday or on the Monday after: due the same number of working days after that weekend.
        #expect(WorkingDays(country: .netherlands).adding(1, to: day("2026-12-05")) == day("2026-12-07"))
        // Across the year's end: Christmas, Second Christmas Day, New Year.
        #expect(WorkingDays(country: .netherlands).adding(3, to: day("2026-12-23")) == day("2026-12-29"), "Thursday, then Monday and Tuesday")
        #expect(WorkingDays(country: .netherlands).adding(5, to: day("2026-12-29")) == day("2027-01-06"))
    }

    @Test("each state the programme owes a step in has its deadline; escalation at twice the time")
    func deadlines() {
        let terms = ResponseTerms(responseDays: 5, startDays: 10, reviewDays: 20, country: .netherlands)
        let submitted = ReferralDeadline.after(reaching: .submitted, on: day("2026-04-02"), terms: terms)
        #expect(submitted == ReferralDeadline(kind: .respond, due: day("2026-04-13"), escalation: day("2026-04-20")))
        #expect(ReferralDeadline.after(reaching: .waitlisted, on: day("2026-04-02"), terms: terms)?.kind == .review)
        #expect(ReferralDeadline.after(reaching: .accepted, on: day("2026-04-02"), terms: terms)?.kind == .start)
        for state in [ReferralState.draft, .active, .completed, .declined, .withdrawn, .forwarded, .ended] {
            #expect(ReferralDeadline.after(reaching: state, on: day("2026-04-02"), terms: terms) == nil, "\(state)")
        }
        let deadline = submitted!
        #expect(deadline.status(on: day("2026-04-10")) == .onTime)
        #expect(deadline.status(on: day("2026-04-13")) == .dueToday)
        #expect(deadline.status(on: day("2026-04-14")) == .overdue)
        #expect(deadline.status(on: day("2026-04-21")) == .escalated)
        #expect(deadline.answeredInTime(by: .accept, on: day("2026-04-13")) == true)
        #expect(deadline.answeredInTime(by: .decline, on: day("2026-04-14")) == false)
        #expect(deadline.answeredInTime(by: .withdraw, on: day("2026-04-10")) == nil, "the referrer's withdrawal answers nothing")
    }
}

@Suite("Who hears of what")
struct NoticeRuleTests {
    @Test("every decision and step of the programme reaches the caseworker; a new referral, the coordinators")
    func routes() {
        func audiences(_ event: WebhookEventType) -> Set<NoticeRouting.Audience> {
            Set(NoticeRouting.routes.filter { $0.event == event.rawValue }.map(\.audience))
        }
        for event in [WebhookEventType.referralAccepted, .referralDeclined, .referralWaitlisted, .referralForwarded, .referralStarted,
                      .referralCompleted, .referralEnded] {
            #expect(audiences(event) == [.referrer], "\(event)")
        }
        #expect(audiences(.referralSubmitted) == [.coordinators])
        #expect(audiences(.referralOverdue) == [.coordinators])
        #expect(audiences(.referralMessagePosted) == [.coordinatorsWhenReferrerActed, .referrerWhenProgrammeActed])
        #expect(audiences(.consentWithdrawn) == [.coordinators])
        #expect(Set(NoticeRouting.routes.filter { $0.event == NoticeRouting.referralEscalated }.map(\.audience)) == [.operatorAdmins])
        #expect(audiences(.programmeChanged).isEmpty && audiences(.ping).isEmpty, "nobody is told of the directory or a test event")
    }

    @Test("escalations cannot be turned off; everything else can")
    func choices() {
        #expect(!NoticeKind.escalation.allows(.off) && NoticeKind.escalation.allows(.digest))
        for kind in NoticeKind.allCases where kind != .escalation { #expect(kind.allows(.off)) }
        #expect(NoticeSettings(deliveries: [.escalation: .off]).problem == .mayNotTurnOff(.escalation))
        #expect(NoticeSettings(deliveries: [.message: .off, .escalation: .digest]).problem == nil)
        #expect(NoticeSettings(digestMinute: 24 * 60).problem == .invalidDigestTime)
    }

    @Test("a person's settings offer the kinds their roles receive")
    func kindsForRoles() {
        #expect(NoticeKind.kinds(for: [.caseworker]) == [.referralUpdate, .message])
        #expect(Set(NoticeKind.kinds(for: [.coordinator])) == [.newReferral, .overdue, .referralUpdate, .message, .consentWithdrawn])
        #expect(NoticeKind.kinds(for: [.orgAdmin]) == [.escalation, .webhookDisabled])
        #expect(NoticeKind.kinds(for: [.funder]).isEmpty)
    }

    @Test("mail is tried again soon, then at most every five minutes")
    func mailSchedule() {
        #expect(MailSchedule.retryDelay(after: 1) == .seconds(5))
        #expect(MailSchedule.retryDelay(after: 2) == .seconds(10))
        #expect(MailSchedule.retryDelay(after: 7) == .seconds(300))
        #expect(MailSchedule.retryDelay(after: 1000) == .seconds(300))
    }
}
