"""The incident notification, ready to send: what the DfE online notification service asks for,
drawn from the referral and its same-incident siblings (docs/domain.md §4.5)."""
