from django.urls import path

from providers import views_todo

urlpatterns = [
    path("provider/todo/", views_todo.todo, name="todo"),
]
