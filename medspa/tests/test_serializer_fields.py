"""FieldsBuiltOnce (medspa.api.serializers): a serializer's fields built once per class, each instance given
its own copies, so that binding one instance's fields (their name, their parent) never reaches another's."""

import threading

from rest_framework import serializers

from medspa.api.serializers import FieldsBuiltOnce, MedspaSerializer
from scheduling.api.serializers import AppointmentBookSerializer, AppointmentSerializer


class _Nested(FieldsBuiltOnce, serializers.Serializer):
    medspa = MedspaSerializer(read_only=True)
    name = serializers.CharField()


def test_each_instance_has_fields_of_its_own_bound_to_it():
    for serializer_class in (AppointmentSerializer, AppointmentBookSerializer, _Nested):
        first, second = serializer_class(), serializer_class()
        assert list(first.fields) == list(second.fields) == list(serializer_class().get_fields())
        for name in first.fields:
            assert first.fields[name] is not second.fields[name]
            assert first.fields[name].parent is first and second.fields[name].parent is second
            assert first.fields[name].field_name == name


def test_the_fields_are_built_once_per_class_and_the_build_is_never_bound():
    AppointmentSerializer().fields  # noqa: B018 (builds them)
    built = AppointmentSerializer._fields_built
    AppointmentSerializer().fields  # noqa: B018
    assert AppointmentSerializer._fields_built is built
    assert all(getattr(field, "parent", None) is None for field in built.values())


def test_a_nested_serializer_is_copied_whole_with_fields_of_its_own():
    first, second = _Nested(), _Nested()
    assert first.fields["medspa"].fields["name"] is not second.fields["medspa"].fields["name"]
    assert first.fields["medspa"].fields["name"].parent is first.fields["medspa"]


def test_threads_validating_at_once_each_get_their_own_answer():
    """As gunicorn's threads do: each validates its own data with its own instance at the same time."""
    errors, barrier = [], threading.Barrier(8)

    def validate(number: int):
        barrier.wait()
        for _ in range(200):
            serializer = _Nested(data={"name": f"name {number}"})
            if not serializer.is_valid() or serializer.validated_data != {"name": f"name {number}"}:
                errors.append((number, serializer.errors))

    threads = [threading.Thread(target=validate, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
