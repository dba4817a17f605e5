"""Assessment: question formats and the questions learners answer."""
