"""``kata train``: networks built from a learner's katas, trained the way d2l's train_ch6 does."""
