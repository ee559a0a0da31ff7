# Páginas de contactos (ui/contacts.rs; las páginas están en ui/cards.rs).
contacts-title = Contactos
contacts-new = Nuevo contacto
contacts-edit = Editar contacto
contacts-empty = Todavía no hay contactos. Crea el primero.
contacts-delete-confirm = ¿Eliminar este contacto? Desaparecerá de las listas, la búsqueda y la identificación de llamadas.
