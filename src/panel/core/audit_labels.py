"""The audit trail in words: what each recorded action and record type is called where a person
reads it (the audit log, a record's history). The keys stay as recorded (exports keep them)."""

from __future__ import annotations

import json

# Actions whose key does not read as words once its underscores are spaces.
ACTION_LABELS = {
    "login": "Signed in", "logout": "Signed out", "login_failed": "Sign-in refused",
    "sign_out_everywhere": "Signed out everywhere", "setup": "First administrator set up",
    "password_change": "Password changed", "password_change_failed": "Password change refused",
    "password_reset": "Password reset", "presentation_mode": "Presentation mode changed",
    "unlock": "Account unlocked", "disable": "Account disabled", "grant": "Role granted",
    "role_remove": "Role removed", "create": "Created", "update": "Changed", "delete": "Deleted",
    "restore": "Restored", "merge": "Merged", "view": "Viewed", "export": "Exported", "import": "Imported",
    "link": "Linked", "triage": "Triaged", "screening_answers": "Screening answers saved",
    "director_route": "Director's route recorded", "notification": "Notification recorded as sent",
    "decision_recorded": "Decision recorded", "decision_signed": "Decision signed",
    "milestone": "Milestone recorded", "delay": "Delay recorded", "review_details": "Review details changed",
    "review_close": "Review closed", "lcspr_opened": "LCSPR opened", "rapid_review_sent": "Rapid review sent",
    "rapid_review_outcome": "National Panel's response recorded", "sign_off": "Signed off",
    "report_draft": "Report drafted", "report_draft_edit": "Draft edited", "report_draft_refill": "Draft refilled",
    "report_template": "Report headings changed", "demo_load": "Demo data loaded", "theme_seed": "Themes loaded",
    "theme_add": "Theme added", "theme_rename": "Theme renamed", "theme_merge": "Theme merged",
    "theme_merge_in": "Theme merged in", "audit_search": "Audit log searched", "mail_test": "Test e-mail sent",
    "reminder": "Reminder sent",
}
RECORD_TYPES = {
    "user": "User", "membership": "Role", "partnership": "Partnership", "referral": "Referral",
    "referral_queue": "Referral queue",
    "review": "Review", "review_type": "Review type", "meeting": "Meeting", "decision": "Decision",
    "agency": "Agency", "theme": "Theme", "database": "Database", "audit": "Audit log", "email": "E-mail",
    "tracker": "Tracker", "timeliness_report": "Timeliness report", "learning_source": "Learning source",
    "learning_event": "Learning event", "finding": "Finding", "recommendation": "Recommendation",
    "action": "Action", "briefing": "Briefing", "document": "Document", "report_template": "Report headings",
}
_ACRONYMS = {"lcspr": "LCSPR", "dcs": "DCS", "csv": "CSV", "iro": "IRO", "lac": "LAC"}


def _words(key: str) -> str:
    """A key as a sentence-case phrase: "meeting_item_added" -> "Meeting item added"."""
    words = [_ACRONYMS.get(w, w) for w in (key or "").split("_") if w]
    if not words:
        return ""
    return words[0][:1].upper() + words[0][1:] + "".join(" " + w for w in words[1:])


def action_label(key: str) -> str:
    return ACTION_LABELS.get(key) or _words(key)


def record_type_label(key: str) -> str:
    return RECORD_TYPES.get(key) or _words(key)


def changed_fields(after: str | None, labels: dict[str, str] | None = None) -> str:
    """ "Changed: Abuse or neglect, Child's age" from an audit row's recorded values (JSON): the
    fields' labels (`labels`, else the keys as words), never the keys."""
    try:
        fields = sorted(json.loads(after or "{}"))
    except (TypeError, ValueError):
        return ""
    if not fields:
        return ""
    labels = labels or {}
    return "Changed: " + ", ".join(labels.get(f) or _words(f) for f in fields)
