"""A training loop over ``strategy.run``, for where ``Model.fit`` cannot go.

Keras 3's ``fit`` fails under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585:
``_maybe_symbolic_build`` tries to convert a ``PerReplica`` value). This loop does
what ``fit`` does for the classifier recipe, with the same contract: the same
loss (sparse cross-entropy averaged over the *global* batch with
``tf.nn.compute_average_loss``), the same ``loss``/``accuracy`` logs (global means,
not per-replica ones), the same callbacks (``CallbackList``: NaN stop,
user callbacks, best-weights keeper), and a ``History`` back. Only the step
function runs inside ``tf.function``; sums are reduced across replicas there and
accumulated per epoch outside it.
"""

from __future__ import annotations

from typing import Sequence

import keras
import tensorflow as tf


def _step_functions(model, strategy: tf.distribute.Strategy, global_batch_size: int):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)

    def replica_sums(images, labels, training: bool):
        probabilities = model(images, training=training)
        per_example = loss_fn(labels, probabilities)
        correct = tf.cast(tf.equal(tf.argmax(probabilities, axis=-1, output_type=tf.int32), labels), tf.float32)
        count = tf.cast(tf.shape(labels)[0], tf.float32)
        return per_example, tf.reduce_sum(per_example), tf.reduce_sum(correct), count

    def train_replica(images, labels):
        with tf.GradientTape() as tape:
            per_example, loss_sum, correct, count = replica_sums(images, labels, training=True)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        variables = model.trainable_variables
        model.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss_sum, correct, count

    def test_replica(images, labels):
        return replica_sums(images, labels, training=False)[1:]

    def reduced(replica_fn):
        @tf.function
        def step(batch):
            sums = strategy.run(replica_fn, args=batch)
            return [strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None) for value in sums]

        return step

    return reduced(train_replica), reduced(test_replica)


def _distribute(dataset: tf.data.Dataset, strategy: tf.distribute.Strategy):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def fit(
    model,
    train: tf.data.Dataset,
    *,
    strategy: tf.distribute.Strategy,
    global_batch_size: int,
    epochs: int,
    initial_epoch: int = 0,
    validation: tf.data.Dataset | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Train ``model`` (compiled, with its optimizer) under ``strategy``; returns a ``History``."""
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
    train_step, test_step = _step_functions(model, strategy, global_batch_size)
    distributed_train = _distribute(train, strategy)
    distributed_validation = _distribute(validation, strategy) if validation is not None else None
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        list(callbacks) + [history], add_progbar=verbose not in (0, "0"), model=model,
        verbose=1 if verbose == "auto" else verbose, epochs=epochs,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        totals = [0.0, 0.0, 0.0]
        for index, batch in enumerate(distributed_train):
            callback_list.on_train_batch_begin(index)
            sums = [float(value) for value in train_step(batch)]
            totals = [total + value for total, value in zip(totals, sums)]
            callback_list.on_train_batch_end(index, {"loss": sums[0] / sums[2], "accuracy": sums[1] / sums[2]})
            if model.stop_training:
                break
        logs = {"loss": totals[0] / totals[2], "accuracy": totals[1] / totals[2]}
        if distributed_validation is not None:
            held_out = [0.0, 0.0, 0.0]
            for batch in distributed_validation:
                held_out = [total + float(value) for total, value in zip(held_out, test_step(batch))]
            logs.update(val_loss=held_out[0] / held_out[2], val_accuracy=held_out[1] / held_out[2])
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history
