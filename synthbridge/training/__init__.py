"""Training on real and synthetic images: the fastai Learner, the transfer pipelines, LEEP."""
