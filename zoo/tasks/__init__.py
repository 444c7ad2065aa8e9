"""Task objects: Keras models with behaviour, one module per task."""

# The class that serves each registry ``task``, as "module:class" (imported on use).
TASKS = {
    "image_classification": "zoo.tasks.classifier:ImageClassifier",
    "image_generation": "zoo.tasks.gan:GAN",
    "autoencoder": "zoo.tasks.vae:VAE",
    "adversarial_autoencoder": "zoo.tasks.aae:AAE",
    "image_translation": "zoo.tasks.pix2pix:Pix2Pix",
    "translation": "zoo.tasks.translation:Translator",
    "metric_learning": "zoo.tasks.siamese:Siamese",
    "domain_adaptation": "zoo.tasks.dann:DANN",
    "disentangled_generation": "zoo.tasks.infogan:InfoGAN",
    # Not a registry task: what zoo.load(name, features_only=True) makes of a classifier.
    "image_features": "zoo.tasks.backbone:Backbone",
}
