"""The system as it was: the time machine (any position's aggregates, read models and sagas, and
what changed there; `machine`) and what-if branches (commands tried against a past state in a
temporary copy; `whatif`)."""
